"""``python -m harness.tasks.llm_summarization``: the LLMs' ROUGE accuracy (see accuracy.py)."""

from __future__ import annotations

import sys

from harness.tasks.llm_summarization.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
