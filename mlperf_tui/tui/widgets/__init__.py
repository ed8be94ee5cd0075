"""Dumb widgets: data in, messages out. No MLPerf logic lives here."""
