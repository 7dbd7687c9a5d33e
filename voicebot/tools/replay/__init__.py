"""Replay harness: recorded and synthesised calls played against the bot, with a verdict."""
