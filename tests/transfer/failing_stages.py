"""Speech stages that fail the way a real backend does, for the fault tests and
`bench/faults.py`: a TTS that errors or hangs, a recogniser that never finishes a decode."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from voicebot.exceptions import SpeechError
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.speech.espeak_tts import EspeakTTSService
from voicebot.speech.pocketsphinx_stt import TIME_LIMIT_SECS, PocketsphinxSTTService
from voicebot.speech.tts_budget import SENTENCE_BUDGET_SECS


class BrokenTTS(EspeakTTSService):
    """espeak-ng that fails on every sentence: the TTS backend is down."""

    def _render(self, text: str) -> bytes:
        raise SpeechError("synthesiser crashed")


class HungTTS(EspeakTTSService):
    """espeak-ng that returns a sentence only past its budget (long enough to count as hung,
    short enough that the thread it leaves behind ends soon after)."""

    def _render(self, text: str) -> bytes:
        time.sleep(self.budget_secs + 0.5)
        return super()._render(text)


class HungRecognizer:
    """pocketsphinx that never finishes a decode."""

    def __init__(self, working: Any) -> None:
        self._working = working

    def __getattr__(self, name: str) -> Any:
        return getattr(self._working, name)

    async def recognize_async(self, *_: Any) -> Any:
        await asyncio.sleep(30)


class FaultyStack:
    """The working embedded stack with its TTS replaced (`tts`, a class like BrokenTTS) or its
    recogniser hung (`hung_stt`); `budget_secs` and `time_limit_secs` shorten their limits."""

    def __init__(
        self,
        working: EmbeddedSpeechStack,
        *,
        tts: type[EspeakTTSService] | None = None,
        hung_stt: bool = False,
        budget_secs: float = SENTENCE_BUDGET_SECS,
        time_limit_secs: float = TIME_LIMIT_SECS,
    ) -> None:
        self._working = working
        self._tts = tts
        self._hung_stt = hung_stt
        self._budget_secs = budget_secs
        self._time_limit_secs = time_limit_secs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._working, name)

    def tts(self, styles: Any = None) -> EspeakTTSService:
        if self._tts is None:
            return self._working.tts(styles)
        return self._tts(
            voice=self._working.tts_voice, styles=styles, budget_secs=self._budget_secs
        )

    def stt(self) -> PocketsphinxSTTService:
        if not self._hung_stt:
            return self._working.stt()
        hung: Any = HungRecognizer(self._working.recognizer)
        return PocketsphinxSTTService(recognizer=hung, time_limit_secs=self._time_limit_secs)
