"""pipecat STT service for the embedded stack: each VAD-bounded turn decoded by pocketsphinx.

The grammar follows the dialogue: the dialogue processor sends `ExpectationFrame`s upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.utils.time import time_now_iso8601

from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.speech.decode_processes import ProcessPocketsphinxRecognizer
from voicebot.speech.early_decode import EarlyDecodingSTTService
from voicebot.speech.recognizer import PocketsphinxRecognizer, Recognition

CALLER_ID = "caller"
HOLD_SECS = 1.0
# A grammar decode takes ~0.1-0.5 s; one that has not finished in this long is a hung
# recogniser: a fault (apology and transfer), not a turn to re-prompt.
TIME_LIMIT_SECS = 4.0
"""How long a turn whose decode stopped part-way through a grammar sentence waits for the
caller to go on before it counts as a no-match (callers pause between digit groups)."""


class PocketsphinxSTTService(EarlyDecodingSTTService[Recognition]):
    """Decodes each caller turn against the current node's grammar.

    Every turn yields one `TranscriptionFrame` whose `result` is the `Recognition`; empty text
    means no-match, which the dialogue must still hear about to re-prompt. With a VAD that
    announces pauses, a turn is decoded while the VAD waits for its end (`speech.early_decode`):
    a grammar decode of an account number is ~0.25 s of the 0.3 s wait.
    """

    def __init__(
        self,
        recognizer: PocketsphinxRecognizer | ProcessPocketsphinxRecognizer,
        *,
        hold_secs: float = HOLD_SECS,
        time_limit_secs: float = TIME_LIMIT_SECS,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("settings", STTSettings(model="pocketsphinx-en-us", language="en-US"))
        # Speech end → transcript is VAD stop plus a grammar decode: 8 digits ~0.3 s.
        kwargs.setdefault("ttfs_p99_latency", 0.5)
        super().__init__(**kwargs)
        self._recognizer = recognizer
        self._hold_secs = hold_secs
        self.time_limit_secs = time_limit_secs
        self._held = b""
        self._release_task: asyncio.Task[None] | None = None

    @property
    def wants_wav_segments(self) -> bool:
        return False  # pocketsphinx reads raw 16-bit PCM

    def new_expectation(self) -> None:
        super().new_expectation()
        self._drop_held_turn()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, VADUserStartedSpeakingFrame) and self._release_task is not None:
            # The caller goes on after a pause: the held start and this speech are one turn.
            await self.cancel_task(self._release_task)
            self._release_task = None
        await super().process_frame(frame, direction)

    async def recognize_turn(self, audio: bytes, expect: Expectation) -> Recognition:
        return await self._recognizer.recognize_async(audio, self.sample_rate, expect)

    def turn_so_far(self) -> bytes:
        return self._held + super().turn_so_far()  # a held unfinished number goes first

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        expect = self._expect
        audio, self._held = self._held + audio, b""
        early = self.take_early(audio)
        await self.start_processing_metrics()
        try:
            recognition = await asyncio.wait_for(
                early if early is not None else self.recognize_turn(audio, expect),
                self.time_limit_secs,
            )
        except TimeoutError:
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"speech recognition gave no result in {self.time_limit_secs} s")
            return
        except SpeechError as exc:
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"speech recognition failed: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the call
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"speech recognition failed: {SpeechError(str(exc))}")
            return
        await self.stop_processing_metrics()
        if recognition.partial and self._hold_secs > 0 and self._release_task is None:
            # The grammar has not reached the end of a sentence: the caller has probably
            # paused mid-number. Hold the turn; speech within HOLD_SECS continues it.
            self._held = audio
            self._release_task = self.create_task(self._release_held_turn(recognition))
            return
        yield _transcription(recognition)

    async def _release_held_turn(self, recognition: Recognition) -> None:
        await asyncio.sleep(self._hold_secs)
        self._release_task = None
        self._held = b""
        await self.push_frame(_transcription(recognition))

    def _drop_held_turn(self) -> None:
        self._held = b""
        if self._release_task is not None:
            self._release_task.cancel()
            self._release_task = None

    async def cleanup(self) -> None:
        self._drop_held_turn()
        await super().cleanup()


def _transcription(recognition: Recognition) -> TranscriptionFrame:
    return TranscriptionFrame(
        text=recognition.text or "",
        user_id=CALLER_ID,
        timestamp=time_now_iso8601(),
        result=recognition,
    )
