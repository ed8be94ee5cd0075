"""The Textual front end: the wizard, the run monitor, results and the checklist review."""
