"""Where calls are kept: the call record store (SQLite, one row per event)."""
