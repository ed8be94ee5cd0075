"""``python -m harness.tasks.bert_squad``: the SQuAD accuracy script (see accuracy.py)."""

from __future__ import annotations

import sys

from harness.tasks.bert_squad.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
