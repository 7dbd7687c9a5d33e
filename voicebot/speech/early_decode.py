"""Decoding a caller's turn while the VAD still waits for its end (issue 13, turn-taking).

When the caller goes quiet, the VAD waits `stop_secs` (0.3 s, 0.8 s for dictated strings)
before it ends the turn, and only then would the recogniser start. Instead, the VAD
announces the pause part-way through that wait (`CallerPausedFrame`) and the recogniser
decodes what it has so far. If the caller says nothing more, the turn's audio is that audio
plus quiet, so the early transcript is the turn's transcript and is used as soon as the
turn ends: the wait and the decode overlap. If the caller goes on (`CallerResumedFrame`),
the early decode is dropped. And when the early transcript already completes what the node
asks for (all the digits of an account number), the recogniser asks the VAD to end the
turn at once (`EndTurnFrame`) rather than wait out the dictation pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipecat.frames.frames import SystemFrame

from voicebot.dialogue.actions import Expectation
from voicebot.dialogue.slots.digits import parse_digits

PAUSE_SHARE = 1 / 3
"""How far into the end-of-turn wait the pause is announced: a third (0.1 s of 0.3 s).
Measured (`bench/latency.py --calls 5`, whisper + piper, idle machine): halfway gave p50 737
ms, a third 686 ms, with the same CPU per call minute (few pauses that short are followed by
more speech, so few early decodes are wasted)."""
MAX_PAUSE_SECS = 0.3
"""…but no later than this into any wait (a dictation wait of 0.8 s decodes from 0.27 s)."""


def pause_secs(stop_secs: float) -> float:
    """Quiet after which the VAD announces a pause, for an end-of-turn wait of `stop_secs`."""
    return min(stop_secs * PAUSE_SHARE, MAX_PAUSE_SECS)


@dataclass
class CallerPausedFrame(SystemFrame):
    """Broadcast by the VAD when the caller has been quiet `secs` within a turn it has not
    ended yet."""

    secs: float


@dataclass
class CallerResumedFrame(SystemFrame):
    """Broadcast by the VAD when the caller speaks again after a `CallerPausedFrame`."""


@dataclass
class EndTurnFrame(SystemFrame):
    """Pushed upstream by the recogniser to the VAD: the turn's transcript is complete, end
    the turn now instead of waiting out the pause."""


def completes(text: str, expect: Expectation) -> bool:
    """Whether `text` already says everything `expect` asks for, so more speech is not
    coming: a digits slot holding its longest allowed string (a shorter one may go on)."""
    slot = expect.slot
    if slot is None or slot.type != "digits":
        return False
    digits = parse_digits(text)
    return digits is not None and len(digits) == slot.max_length


R = TypeVar("R")


class EarlyDecode(Generic[R]):
    """One turn's early decode: started on a pause, dropped when the caller goes on, used by
    the turn's decode when the turn's audio is the decoded audio plus quiet."""

    def __init__(self) -> None:
        self._audio = b""
        self._expect: Expectation | None = None
        self._task: asyncio.Task[R] | None = None

    def start(
        self, audio: bytes, expect: Expectation, decode: Callable[[bytes], Awaitable[R]]
    ) -> asyncio.Task[R] | None:
        """Decode `audio` now; None when an early decode of this pause is already under way."""
        if self._task is not None:
            return None
        self._audio, self._expect = audio, expect

        async def run() -> R:
            return await decode(audio)

        self._task = asyncio.get_running_loop().create_task(run())
        return self._task

    def drop(self) -> None:
        """The caller went on, or the turn is over: the early decode is not this turn's."""
        if self._task is not None and not self._task.done():
            self._task.cancel()  # a decode not yet started never runs; a running one is unheard
        self._task, self._audio, self._expect = None, b"", None

    def take(self, audio: bytes, expect: Expectation) -> asyncio.Task[R] | None:
        """The early decode that stands for the turn's `audio`, if any: same expectation, and
        `audio` is the decoded audio plus what came after it in the pause (quiet). Clears it."""
        task, decoded, expected = self._task, self._audio, self._expect
        self._task, self._audio, self._expect = None, b"", None
        if task is None or task.cancelled() or expected != expect:
            return None
        if not decoded or not audio.startswith(decoded):
            task.cancel()
            return None
        return task
