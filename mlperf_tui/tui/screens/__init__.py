"""Screens of the TUI: the wizard steps, the run monitor, results and the checklist review."""
