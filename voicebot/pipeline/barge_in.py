"""When the caller cuts the bot off: barge-in that lets backchannels and coughs pass, and the
replies that must be heard whole.

Speech over the bot stops it only once it is words: when the VAD has heard `SustainedSpeechFrame`
worth of it (longer than a "mhmm" or a cough), or when the turn's transcript has a word that
is not a hesitation or backchannel ("no", "agent": short, but words). A turn that began over
the bot and turns out to be only a backchannel, a cough or line noise is no caller turn at all:
the bot goes on and does not say it didn't catch that.

A reply from a node with `interruptible: false` ends in a mark of its own (`protect`); until
Twilio echoes it, neither speech nor keys stop the audio. What the caller says or keys
meanwhile still reaches the engine (a caller keying their number during a legal notice keeps
every digit); if keys left the engine waiting for more, the rest of that reply is skipped once
the protected words have played, so the caller is not asked for what they are already keying.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pipecat.frames.frames import OutputTransportMessageFrame

from voicebot.language.words import only_fillers

Interrupt = Callable[[str], Awaitable[None]]
"""Stops the bot's audio; the argument says how the caller barged in (`speech`, `keypad`)."""


class BargeIn:
    """Decides, for one call, when the caller's speech or keys stop the bot's audio."""

    def __init__(self, interrupt: Interrupt, playing: Callable[[], bool]) -> None:
        """`playing`: the bot is talking (and the call is not ending), so it may be cut off."""
        self._interrupt = interrupt
        self._playing = playing
        self._over_bot = False
        """The caller's current turn began while the bot was talking."""
        self._cut_off = False
        """...and has stopped the bot already."""
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

    def speech(self) -> None:
        """The caller started talking: over the bot, it is not yet known to be words."""
        if self._playing():
            self._over_bot, self._cut_off = True, False

    async def sustained(self) -> None:
        """The caller's turn has gone on longer than a backchannel or a cough."""
        if self._over_bot and not self._cut_off:
            await self._cut("speech")

    async def caller_turn(self, text: str) -> bool:
        """The turn's transcript: is it a caller turn (else a backchannel, to ignore)?"""
        if not self._over_bot:
            return True
        self._over_bot = False
        if self._cut_off:
            return True
        if only_fillers(text):
            return False
        await self._cut("speech")
        return True

    async def _cut(self, how: str) -> None:
        if self._playing() and not self._protected:
            self._cut_off = True
            await self._interrupt(how)

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
