"""What the caller has yet to hear, and the call's timers.

After each reply the dialogue sends a Twilio `mark`; its echo means the audio before it has
played. A barge-in clears the marks still pending: Twilio echoes them on `clear`, and those
echoes must not count as heard. The timers (no input, inter-digit, end-of-call fallback) are
one pending timeout each; starting one again replaces it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pipecat.frames.frames import OutputTransportMessageFrame

from voicebot.twilio.wire import mark_message

INTER_DIGIT_TIMEOUT_SECS = 3.0
# If Twilio never echoes the last mark (a broken peer), end the call anyway after this long.
END_OF_CALL_FALLBACK_SECS = 30.0


class Playout:
    """The marks sent after the bot's replies and not yet echoed."""

    def __init__(self, stream_sid: str) -> None:
        self._stream_sid = stream_sid
        self._names = itertools.count(1)
        self._pending: set[str] = set()

    @property
    def playing(self) -> bool:
        """Some reply has not finished playing to the caller."""
        return bool(self._pending)

    def mark(self) -> OutputTransportMessageFrame:
        """The mark to send after a reply's audio."""
        name = f"say-{next(self._names)}"
        self._pending.add(name)
        return OutputTransportMessageFrame(message=mark_message(self._stream_sid, name))

    def echoed(self, name: str) -> bool:
        """Twilio echoed `name`: True if that was the last reply still playing."""
        if name not in self._pending:
            return False  # echoed after a `clear`: that audio was never heard
        self._pending.discard(name)
        return not self._pending

    def interrupted(self) -> None:
        """The caller talked over the bot: what is still pending was not heard."""
        self._pending.clear()


TaskFactory = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class Timer:
    """One timeout of the call; `start` replaces a pending one, `cancel` drops it."""

    def __init__(self, create_task: TaskFactory) -> None:
        self._create_task = create_task
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, secs: float, then: Callable[[], Awaitable[None]]) -> None:
        self.cancel()
        self._task = self._create_task(self._after(secs, then))

    def cancel(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            if task is not asyncio.current_task():  # a timeout may cancel its own timer
                task.cancel()

    async def _after(self, secs: float, then: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(secs)
        self._task = None
        await then()
