"""What stands in for a sensitive value (a PIN, a card number, a transcript of one) wherever
it would otherwise be stored, logged or handed to an agent."""

from __future__ import annotations

MASK = "****"
