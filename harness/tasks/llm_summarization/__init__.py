"""The LLM summarisation benchmarks' accuracy (ROUGE) and TEST06 verification.

llama2-70b (OpenOrca), llama3.1-8b / llama3.1-8b-edge and gpt-j (CNN/DailyMail) all score an
engine's generated token ids with ROUGE against reference outputs; ``accuracy.py`` is their
reference scripts written once over our data set reader, ``test06.py`` the LLM output
consistency audit. ``python -m harness.tasks.llm_summarization`` is the accuracy script's CLI.
"""

from __future__ import annotations
