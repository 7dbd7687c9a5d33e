"""pipecat STT service for the embedded stack: each VAD-bounded turn decoded by pocketsphinx.

The grammar follows the dialogue: the dialogue processor sends `ExpectationFrame`s upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import ErrorFrame, Frame, TranscriptionFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.utils.time import time_now_iso8601

from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.pipeline.frames import ExpectationFrame
from voicebot.speech.recognizer import PocketsphinxRecognizer

CALLER_ID = "caller"
# Until the dialogue says otherwise, take open speech rather than force a grammar on it.
_OPEN_SPEECH = Expectation(node="", free_speech=True)


class PocketsphinxSTTService(SegmentedSTTService):
    """Decodes each caller turn against the current node's grammar.

    Every turn yields one `TranscriptionFrame` whose `result` is the `Recognition`; empty text
    means no-match, which the dialogue must still hear about to re-prompt.
    """

    def __init__(self, recognizer: PocketsphinxRecognizer, **kwargs: Any) -> None:
        # The recogniser trims edge silence itself; the base class's zero padding only skews
        # the cepstral mean, so none is added.
        kwargs.setdefault("trailing_silence_secs", 0.0)
        super().__init__(**kwargs)
        self._recognizer = recognizer
        self._expect = _OPEN_SPEECH

    @property
    def wants_wav_segments(self) -> bool:
        return False  # pocketsphinx reads raw 16-bit PCM

    @property
    def expectation(self) -> Expectation:
        """What the next turn is decoded against."""
        return self._expect

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, ExpectationFrame):
            # Consumed here: nothing upstream of the recogniser cares what the node expects.
            self._expect = frame.expect
            return
        await super().process_frame(frame, direction)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        expect = self._expect
        await self.start_processing_metrics()
        try:
            recognition = await asyncio.to_thread(
                self._recognizer.recognize, audio, self.sample_rate, expect
            )
        except SpeechError as exc:
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"speech recognition failed: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the call
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"speech recognition failed: {SpeechError(str(exc))}")
            return
        await self.stop_processing_metrics()
        yield TranscriptionFrame(
            text=recognition.text or "",
            user_id=CALLER_ID,
            timestamp=time_now_iso8601(),
            result=recognition,
        )
