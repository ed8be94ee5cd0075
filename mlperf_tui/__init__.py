"""mlperf-tui: from a bare machine to a validated MLPerf Inference submission."""

__version__ = "0.1.0"
