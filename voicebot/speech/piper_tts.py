"""PiperTTSService: pipecat text-to-speech with a local piper voice (.onnx + .onnx.json).

Piper synthesises one sentence at a time; each sentence is resampled to the pipeline rate and
sent on as soon as it is ready, so the caller hears the first sentence while the rest are
still being made. Emotion styles map to piper's length scale (pace) and noise scale
(expressiveness). Nothing is downloaded: a missing voice fails at startup with the command that
fetches it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.utils.types import NOT_GIVEN, NotGiven, is_given

from voicebot.audio.codec import normalise_peak, resample
from voicebot.exceptions import SpeechError
from voicebot.speech.packaged import ModelMissingError, cache_dir_for, file_path, packaged, verify
from voicebot.speech.tts_budget import SENTENCE_BUDGET_SECS, within_budget

PEAK_DBFS = -3.0
STALL_SECS = 15.0
ESPEAK_DEFAULT_RATE = 175
ESPEAK_DEFAULT_PITCH = 50

Scales = tuple[float | None, float | None]
"""(length_scale, noise_scale); None keeps the voice's own value."""


def voice_files(voice: str | Path, cache_dir: Path | None = None) -> tuple[Path, Path]:
    """The voice's .onnx and .onnx.json; ModelMissingError naming the fetch command if absent.
    A packaged voice (en_US-joe-medium) is checksummed first (ModelFileError if not intact)."""
    packaged_voice = packaged(voice, "tts")
    if packaged_voice is not None:
        verify(packaged_voice, cache_dir_for(cache_dir))
        onnx, config = (file_path(f) for f in packaged_voice.files)
        assert onnx is not None and config is not None  # verify() found both
        return onnx, config
    onnx_path = Path(voice).expanduser()
    if onnx_path.suffix != ".onnx":
        onnx_path = onnx_path.with_name(onnx_path.name + ".onnx")
    config_path = onnx_path.with_name(onnx_path.name + ".json")
    missing = [p for p in (onnx_path, config_path) if not p.is_file()]
    if missing:
        raise ModelMissingError(
            f"piper voice not found: {', '.join(map(str, missing))}", fetch_command(onnx_path)
        )
    return onnx_path, config_path


def fetch_command(onnx_path: Path) -> str:
    return f"python -m piper.download_voices {onnx_path.stem} --download-dir {onnx_path.parent}"


def scales_from_prosody(styles: Mapping[str, tuple[int | None, int | None]]) -> dict[str, Scales]:
    """The flow's espeak-style (rate wpm, pitch 0-100) per style, as piper scales: a faster
    rate is a shorter length scale; more pitch movement is more generator noise."""
    out: dict[str, Scales] = {}
    for name, (rate, pitch) in styles.items():
        length = round(ESPEAK_DEFAULT_RATE / rate, 3) if rate else None
        noise = round(0.667 * (0.5 + pitch / 100), 3) if pitch is not None else None
        out[name] = (length, noise)
    return out


@dataclass
class PiperTTSSettings(TTSSettings):
    """Runtime-updatable piper settings: `style` is a key of the service's styles."""

    style: str | None | NotGiven = field(default_factory=lambda: NOT_GIVEN)


class PiperVoiceModel:
    """A loaded piper voice, shared by every call of the process (onnxruntime is thread-safe).

    Fixed prompts (greetings, re-prompts, apologies) are marked by `prime`; each of their
    sentences is synthesised once, then kept by its phonemes and style, so a reply made of
    them is read from memory. Only primed text is kept, never what a call composed (it may
    hold caller details).
    """

    def __init__(self, voice: str | Path, cache_dir: Path | None = None) -> None:
        from piper import PiperVoice

        self.onnx_path, self.config_path = voice_files(voice, cache_dir)
        try:
            self.voice = PiperVoice.load(self.onnx_path, config_path=self.config_path)
        except Exception as exc:  # noqa: BLE001 - onnxruntime/json errors: a broken voice file
            raise SpeechError(f"cannot load piper voice {self.onnx_path}: {exc}") from None
        self.sample_rate = int(self.voice.config.sample_rate)
        self._kept: dict[tuple[str, ...], dict[Scales, np.ndarray]] = {}
        """Fixed sentences by phonemes, then audio by style (filled as they are first said)."""
        self._lock = threading.Lock()

    def sentences(self, text: str, scales: Scales) -> Iterator[np.ndarray]:
        """Blocking, lazy: float audio per sentence at the voice's rate (fixed ones from
        memory once made)."""
        for phonemes in self.voice.phonemize(text):
            if phonemes:
                yield self._sentence(tuple(phonemes), scales)

    def _sentence(self, phonemes: tuple[str, ...], scales: Scales) -> np.ndarray:
        from piper import SynthesisConfig

        cached = self._kept.get(phonemes, {}).get(scales)
        if cached is not None:
            return cached
        config = SynthesisConfig(length_scale=scales[0], noise_scale=scales[1])
        ids = self.voice.phonemes_to_ids(list(phonemes))
        audio = np.asarray(self.voice.phoneme_ids_to_audio(ids, config), dtype=np.float32)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        # As piper's own synthesize(): each sentence normalised to full scale.
        audio = np.clip(audio / peak if peak >= 1e-8 else audio * 0, -1.0, 1.0)
        if phonemes in self._kept:
            with self._lock:
                self._kept[phonemes][scales] = audio
        return audio

    def prime(self, texts: Iterable[str], *, now: bool = False) -> int:
        """Mark fixed texts' sentences to be kept once synthesised (the first call that says
        one pays for it; `now` synthesises them at once, in the plain style). Returns how many
        sentences are marked."""
        for text in dict.fromkeys(texts):
            for phonemes in self.voice.phonemize(text):
                if phonemes:
                    with self._lock:
                        self._kept.setdefault(tuple(phonemes), {})
                    if now:
                        self._sentence(tuple(phonemes), (None, None))
        return len(self._kept)

    def is_kept(self, text: str, scales: Scales = (None, None)) -> bool:
        """Every sentence of `text` is in memory in this style."""
        return all(scales in self._kept.get(tuple(p), {}) for p in self.voice.phonemize(text) if p)

    def warm_up(self) -> None:
        for _ in self.sentences("Hello.", (None, None)):
            pass


class PiperTTSService(TTSService):
    """Natural local TTS with piper; sentence by sentence, resampled to the pipeline rate."""

    Settings = PiperTTSSettings
    _settings: PiperTTSSettings

    def __init__(
        self,
        model: PiperVoiceModel,
        *,
        styles: Mapping[str, Scales] | None = None,
        style: str | None = None,
        chunk_ms: int = 40,
        budget_secs: float = SENTENCE_BUDGET_SECS,
        **kwargs: Any,
    ) -> None:
        """`budget_secs`: a sentence slower than this is a TTS fault (speech/tts_budget.py)."""
        self._model = model
        self.budget_secs = budget_secs
        self._styles = dict(styles or {})
        if style is not None and style not in self._styles:
            raise ValueError(f"style {style!r} is not one of {sorted(self._styles)}")
        settings = PiperTTSSettings(
            model=model.onnx_path.stem, voice=model.onnx_path.stem, language=None, style=style
        )
        # pipecat ends a context that yields nothing for this long as "completed with no audio"
        # (an error the dialogue treats as a TTS fault); a long sentence on a loaded machine
        # takes piper more than its default 3 s. The context still ends as soon as the reply
        # is done; this only bounds a synthesis that hangs.
        kwargs.setdefault("stop_frame_timeout_s", STALL_SECS)
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs)
        self._chunk_ms = chunk_ms

    def can_generate_metrics(self) -> bool:
        return True

    def scales(self) -> Scales:
        style = self._settings.style
        if is_given(style) and style is not None and style in self._styles:
            return self._styles[style]
        return (None, None)

    # pipecat's TTSService narrows the argument the same way; mypy flags the override.
    async def _update_settings(self, delta: TTSSettings) -> dict[str, Any]:  # type: ignore[override]
        # The dialogue sends the style in whatever settings class the stack started with.
        style = getattr(delta, "style", NOT_GIVEN)
        if not isinstance(delta, PiperTTSSettings):
            delta = PiperTTSSettings(style=style)
        if is_given(style) and style is not None and style not in self._styles:
            logger.bind(setting="style", value=style).warning(f"{self}: unknown style ignored")
            delta.style = NOT_GIVEN
        return await super()._update_settings(delta)

    def _render(self, audio: np.ndarray) -> bytes:
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
        return normalise_peak(resample(pcm, self._model.sample_rate, self.sample_rate), PEAK_DBFS)

    def _next_pcm(self, sentences: Iterator[np.ndarray]) -> bytes | None:
        """Blocking: the next sentence synthesised and rendered (resampling is CPU work too)."""
        audio = next(sentences, None)
        return None if audio is None else self._render(audio)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        await self.start_tts_usage_metrics(text)
        sentences = self._model.sentences(text, self.scales())
        chunk_bytes = max(2, self.sample_rate * self._chunk_ms // 1000 * 2)
        first = True
        while True:
            try:
                # One sentence per hop to the worker thread: it plays while the next is made.
                pcm = await within_budget(lambda: self._next_pcm(sentences), self.budget_secs)
                if pcm is None:
                    break
            except Exception as exc:  # noqa: BLE001 - a synthesis bug must not end the call
                # The spoken text stays out of the log: it may hold caller details.
                logger.bind(chars=len(text)).error(f"{self}: piper failed: {exc}")
                yield ErrorFrame(error=f"TTS failed: {SpeechError(str(exc))}")
                return
            finally:
                if first:
                    first = False
                    await self.stop_ttfb_metrics()
            for start in range(0, len(pcm), chunk_bytes):
                yield TTSAudioRawFrame(
                    pcm[start : start + chunk_bytes], self.sample_rate, 1, context_id=context_id
                )
