"""A corpus of real-shaped submission trees, generated (deterministically) under a folder.

Each tree is shaped after published MLPerf Inference submissions of its round (the public
mlcommons/inference_results_* repositories): their folder layout, their systems JSON (counts
written as JSON numbers), their LoadGen detail logs (every key the checkers read, in LoadGen's
":::MLLOG {json}" form), accuracy.txt as the reference scripts print it, compliance verification
files as the compliance scripts write them. Nothing is copied from those repositories: the
builders here write trees of the same shape from the round's rules (``mlperf_tui.rules``).

- :mod:`corpus.mllog`: LoadGen's detail and summary logs, and the accuracy log
- :mod:`corpus.parts`: systems JSON, measurements, accuracy.txt, compliance files, a PNG
- :mod:`corpus.trees`: the trees, and :data:`corpus.trees.TREES`, the registry tests iterate

The corpus is independent of the validator on purpose: it knows the layouts of the rounds from
published trees, not from ``mlperf_tui.validate``; the official checker is the oracle.
"""
