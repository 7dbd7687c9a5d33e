"""The dialogue engine: a pure state machine from caller events to bot actions (no I/O)."""
