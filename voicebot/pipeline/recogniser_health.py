"""A recogniser that keeps running out of time is down: the call is handed to a person.

One caller turn whisper could not decode within its time limit is re-prompted like any turn
it could not believe (a long turn on a loaded machine can do that). The second in a row
means the decoder is hung or starved, and the caller would only hear re-prompts: it becomes
a backend fault, so the apology and the transfer follow at once.
"""

from __future__ import annotations

from typing import Any

TIME_LIMIT = "time limit"
STRIKES = 2


class RecogniserHealth:
    def __init__(self, strikes: int = STRIKES) -> None:
        self._strikes = strikes
        self._in_a_row = 0

    def down_after(self, result: Any) -> bool:
        """Count the turn's recognition result; True once the limit has run out too often."""
        if getattr(result, "reject_reason", None) == TIME_LIMIT:
            self._in_a_row += 1
        else:
            self._in_a_row = 0
        return self._in_a_row >= self._strikes
