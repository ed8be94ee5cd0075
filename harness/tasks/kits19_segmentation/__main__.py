"""``python -m harness.tasks.kits19_segmentation``: the accuracy script (see accuracy.py)."""

from __future__ import annotations

import sys

from harness.tasks.kits19_segmentation.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
