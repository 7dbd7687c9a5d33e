"""The command line (`voicebot …`, Typer): each command calls an importable function of a
lower layer; the top of the layers (docs/architecture.md)."""
