"""EspeakTTSService: pipecat text-to-speech backed by the in-process espeak-ng engine.

Synthesis runs off the event loop; audio is resampled to the pipeline rate, peak-normalised
to -3 dBFS so μ-law never clips, and yielded in short chunks so the first audio leaves fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.utils.types import NOT_GIVEN, NotGiven, assert_given, is_given

from voicebot.audio.codec import normalise_peak, resample
from voicebot.exceptions import SpeechError
from voicebot.speech.espeak import EspeakSynthesizer, resolve_params
from voicebot.speech.tts_budget import SENTENCE_BUDGET_SECS, within_budget

PEAK_DBFS = -3.0


@dataclass
class EspeakTTSSettings(TTSSettings):
    """Runtime-updatable espeak-ng settings (send a delta in a TTSUpdateSettingsFrame).

    Parameters:
        rate: Speaking rate in words per minute (80-450); None for espeak's 175.
        pitch: Base pitch 0-100; None for espeak's 50.
        style: A key of the service's `styles`; its (rate, pitch) override the two above.
    """

    rate: int | None | NotGiven = field(default_factory=lambda: NOT_GIVEN)
    pitch: int | None | NotGiven = field(default_factory=lambda: NOT_GIVEN)
    style: str | None | NotGiven = field(default_factory=lambda: NOT_GIVEN)


class EspeakTTSService(TTSService):
    """Local, offline TTS with espeak-ng; robotic but instant and dependency-free."""

    Settings = EspeakTTSSettings
    _settings: EspeakTTSSettings

    def __init__(
        self,
        *,
        voice: str = "en-us",
        rate: int | None = None,
        pitch: int | None = None,
        styles: Mapping[str, tuple[int | None, int | None]] | None = None,
        style: str | None = None,
        chunk_ms: int = 40,
        budget_secs: float = SENTENCE_BUDGET_SECS,
        **kwargs: Any,
    ) -> None:
        """Args:
        voice: espeak-ng voice, optionally with a variant ("en-gb", "en-us+f3").
        rate: words per minute; pitch: 0-100 (None = espeak's defaults).
        styles: named (rate, pitch) pairs, e.g. {"calm": (150, 40)}, chosen by `style`.
        chunk_ms: duration of each yielded audio frame.
        budget_secs: a render slower than this is a TTS fault (speech/tts_budget.py).
        **kwargs: passed to pipecat's TTSService (e.g. sample_rate).
        """
        self.budget_secs = budget_secs
        self._styles = dict(styles or {})
        for params in [(rate, pitch), *self._styles.values()]:
            resolve_params(*params)  # fail at startup, not mid-call
        if style is not None and style not in self._styles:
            raise ValueError(f"style {style!r} is not one of {sorted(self._styles)}")
        settings = EspeakTTSSettings(
            model=None, voice=voice, language=None, rate=rate, pitch=pitch, style=style
        )
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs)
        self._chunk_ms = chunk_ms
        self._synthesizer = EspeakSynthesizer()
        # A misspelt voice should fail at startup, not on the first caller.
        self._synthesizer.check_voice(voice)

    def can_generate_metrics(self) -> bool:
        return True

    def voice_params(self) -> tuple[int | None, int | None]:
        """The (rate, pitch) the next utterance will use: the style's, else the settings'."""
        style = assert_given(self._settings.style)
        if style is not None and style in self._styles:
            return self._styles[style]
        return assert_given(self._settings.rate), assert_given(self._settings.pitch)

    # pipecat's TTSService narrows the argument the same way; mypy flags the override.
    async def _update_settings(self, delta: TTSSettings) -> dict[str, Any]:  # type: ignore[override]
        if isinstance(delta, EspeakTTSSettings):
            await self._drop_invalid(delta)
        return await super()._update_settings(delta)

    async def _drop_invalid(self, delta: EspeakTTSSettings) -> None:
        """Drop bad fields with a warning: a call keeps its old voice rather than go silent."""
        problems: dict[str, str] = {}
        if is_given(delta.style) and delta.style is not None and delta.style not in self._styles:
            problems["style"] = f"not one of {sorted(self._styles)}"
        for name in ("rate", "pitch"):
            value = getattr(delta, name)
            if is_given(value):
                try:
                    resolve_params(**{name: value})
                except ValueError as exc:
                    problems[name] = str(exc)
        if is_given(delta.voice):
            try:
                await asyncio.to_thread(self._synthesizer.check_voice, delta.voice or "")
            except SpeechError as exc:
                problems["voice"] = str(exc)
        for name, reason in problems.items():
            logger.bind(setting=name, value=getattr(delta, name)).warning(
                f"{self}: ignored invalid TTS setting {name}: {reason}"
            )
            setattr(delta, name, NOT_GIVEN)

    def _render(self, text: str) -> bytes:
        """Blocking: synthesise, resample to the pipeline rate and normalise the peak."""
        rate, pitch = self.voice_params()
        voice = assert_given(self._settings.voice) or "en-us"
        pcm, source_rate = self._synthesizer.synthesize(text, voice=voice, rate=rate, pitch=pitch)
        # Normalise after resampling: the resampler's ringing can raise the peak.
        return normalise_peak(resample(pcm, source_rate, self.sample_rate), PEAK_DBFS)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        await self.start_tts_usage_metrics(text)
        try:
            audio = await within_budget(lambda: self._render(text), self.budget_secs)
        except (SpeechError, ValueError) as exc:
            # The spoken text stays out of the log: it may hold caller details (PII).
            logger.bind(voice=self._settings.voice, chars=len(text)).error(f"{self}: {exc}")
            yield ErrorFrame(error=f"TTS failed: {exc}")
            return
        finally:
            await self.stop_ttfb_metrics()
        chunk_bytes = max(2, self.sample_rate * self._chunk_ms // 1000 * 2)
        for start in range(0, len(audio), chunk_bytes):
            yield TTSAudioRawFrame(
                audio[start : start + chunk_bytes], self.sample_rate, 1, context_id=context_id
            )
