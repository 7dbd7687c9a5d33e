"""Report periods as admins type them: `2026-11-30`, `2026-11-30T14:00`, `7d`, `12h`.

Times without a zone are UTC. A bare date as the end of a period means the end of that day.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from voicebot.exceptions import VoicebotError

_RELATIVE = re.compile(r"^(\d{1,4})([dhm])$")
_UNITS = {"d": 86400, "h": 3600, "m": 60}


class PeriodError(VoicebotError):
    """A --since/--until value that is not a date, a time or an age like 7d."""


def moment(text: str, *, end: bool = False, now: float | None = None) -> float:
    """`text` as a Unix time; `end` makes a bare date mean the next midnight."""
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        secs = int(relative.group(1)) * _UNITS[relative.group(2)]
        return (time.time() if now is None else now) - secs
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PeriodError(
            f"'{text}' is not a date or time: use YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC unless a "
            "zone is given) or an age such as 7d, 12h, 30m"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        parsed += timedelta(days=1)
    return parsed.timestamp()


def period(
    since: str | None, until: str | None, now: float | None = None
) -> tuple[float | None, float | None]:
    """Both ends, checked: the start must come before the end."""
    start = moment(since, now=now) if since else None
    stop = moment(until, end=True, now=now) if until else None
    if start is not None and stop is not None and start >= stop:
        raise PeriodError(f"--since {since} is not before --until {until}")
    return start, stop
