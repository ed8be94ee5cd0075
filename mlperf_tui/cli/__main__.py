"""``python -m mlperf_tui.cli``: the same as the ``mlperf-tui`` command."""

from __future__ import annotations

import sys

from mlperf_tui.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
