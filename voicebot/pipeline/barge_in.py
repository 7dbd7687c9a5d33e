"""When the caller cuts the bot off: barge-in, and the replies that must be heard whole.

A reply from a node with `interruptible: false` ends in a mark of its own (`protect`); until
Twilio echoes it, neither speech nor keys stop the audio. Keys pressed meanwhile still reach the
engine (a caller keying their number during a legal notice keeps every digit); if the engine
only buffered them, the rest of that reply is skipped once the protected words have played, so
the caller is not asked for what they are already keying.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pipecat.frames.frames import OutputTransportMessageFrame

Interrupt = Callable[[str], Awaitable[None]]
"""Stops the bot's audio; the argument says how the caller barged in (`speech`, `keypad`)."""


class BargeIn:
    """Decides, for one call, when the caller's speech or keys stop the bot's audio."""

    def __init__(self, interrupt: Interrupt) -> None:
        self._interrupt = interrupt
        self._protected: set[str] = set()
        """Marks ending replies that must be heard whole, not yet echoed."""
        self._keyed_unanswered = False
        """Keys were pressed during protected words and the engine has not replied yet."""

    @property
    def protected(self) -> bool:
        """Words that must be heard whole are playing (or still queued)."""
        return bool(self._protected)

    def protect(self, mark: OutputTransportMessageFrame) -> OutputTransportMessageFrame:
        """`mark` follows a reply that must be heard whole: no barge-in until it is echoed."""
        self._protected.add(_mark_name(mark))
        return mark

    def replied(self, mark: OutputTransportMessageFrame) -> OutputTransportMessageFrame:
        """`mark` follows a new reply of the engine: keys pressed before it were answered, so
        the end of the protected words must not clear that answer."""
        self._keyed_unanswered = False
        return mark

    async def speech(self) -> None:
        """The caller started talking over the bot."""
        if not self._protected:
            await self._interrupt("speech")

    async def keyed(self) -> None:
        """The caller pressed a key while the bot was talking."""
        if self._protected:
            self._keyed_unanswered = True
        else:
            await self._interrupt("keypad")

    async def heard(self, name: str) -> None:
        """Twilio echoed mark `name`: the audio before it has played."""
        if name not in self._protected:
            return
        self._protected.discard(name)
        if self._keyed_unanswered and not self._protected:
            await self._interrupt("keypad")

    def interrupted(self) -> None:
        """The bot's audio was stopped: what was queued, protected or not, is gone."""
        self._protected.clear()
        self._keyed_unanswered = False


def _mark_name(mark: OutputTransportMessageFrame) -> str:
    message = mark.message
    assert isinstance(message, dict), "marks are built by twilio.wire.mark_message"
    return str(message["mark"]["name"])
