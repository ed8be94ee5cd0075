"""``python -m harness.tasks.imagenet_classification``: the accuracy script (see accuracy.py)."""

from __future__ import annotations

import sys

from harness.tasks.imagenet_classification.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
