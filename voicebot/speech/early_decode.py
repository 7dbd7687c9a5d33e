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
from typing import Any, Generic, Protocol, TypeVar

from pipecat.frames.frames import Frame, SystemFrame, VADUserStartedSpeakingFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.stt_service import SegmentedSTTService

from voicebot.dialogue.actions import Expectation
from voicebot.dialogue.slots.digits import parse_digits
from voicebot.speech.frames import ExpectationFrame

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


class _Heard(Protocol):
    @property
    def text(self) -> str: ...


H = TypeVar("H", bound=_Heard)


OPEN_SPEECH = Expectation(node="", free_speech=True)
"""What a turn is decoded against until the dialogue says otherwise: open speech, no grammar."""


class EarlyDecodingSTTService(SegmentedSTTService, Generic[H]):
    """A turn-by-turn STT service that follows the dialogue's `ExpectationFrame`s and decodes
    on the VAD's pause (this module's docstring).

    Subclasses decode in `recognize_turn` and in `run_stt` use `take_early(audio)` before
    decoding a turn themselves; `new_expectation` is their hook for a node change."""

    def __init__(self, **kwargs: Any) -> None:
        # The recognisers trim edge silence themselves; pipecat's zero padding only skews
        # their features, so none is added.
        kwargs.setdefault("trailing_silence_secs", 0.0)
        # Nothing after the recogniser reads the caller's audio: passing each frame on through
        # the dialogue, the TTS and the output (and the observers at every hop) only costs CPU.
        kwargs.setdefault("audio_passthrough", False)
        super().__init__(**kwargs)
        self._expect = OPEN_SPEECH
        self._early: EarlyDecode[H] = EarlyDecode()

    @property
    def expectation(self) -> Expectation:
        """What the next turn is decoded against."""
        return self._expect

    async def recognize_turn(self, audio: bytes, expect: Expectation) -> H:
        raise NotImplementedError

    def turn_so_far(self) -> bytes:
        """The audio the turn's decode would get if it ended now."""
        return bytes(self._audio_buffer)

    def take_early(self, audio: bytes) -> asyncio.Task[H] | None:
        """The early decode that stands for the turn's `audio`, if any (`EarlyDecode.take`)."""
        return self._early.take(audio, self._expect)

    def new_expectation(self) -> None:
        """The dialogue moved on: what was decoded for the last node is not this one's."""
        self._early.drop()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, ExpectationFrame):
            self._expect = frame.expect
            self.new_expectation()
            await self.push_frame(frame, direction)  # on to the VAD: its end-of-turn wait
            return
        if isinstance(frame, CallerPausedFrame):
            self._decode_early()
        elif isinstance(frame, (CallerResumedFrame, VADUserStartedSpeakingFrame)):
            self._early.drop()
        await super().process_frame(frame, direction)

    def _decode_early(self) -> None:
        expect = self._expect

        async def decode(audio: bytes) -> H:
            return await self.recognize_turn(audio, expect)

        task = self._early.start(self.turn_so_far(), expect, decode)
        if task is not None:
            task.add_done_callback(lambda done: self._end_turn_if_complete(done, expect))

    def _end_turn_if_complete(self, done: asyncio.Task[H], expect: Expectation) -> None:
        if done.cancelled() or done.exception() is not None or not self._user_speaking:
            return
        if completes(done.result().text, expect):
            self.create_task(self.push_frame(EndTurnFrame(), FrameDirection.UPSTREAM))
