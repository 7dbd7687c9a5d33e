"""pipecat STT service for the natural-language stack: each caller turn decoded by faster-whisper.

The model is loaded once per process (`WhisperRecognizer`) and shared by every call. Decoding
runs in a small thread pool off the event loop; at most `max_pending` turns wait for it, so a
burst of calls costs latency, and past that bound a turn fails fast (a retryable SpeechError)
instead of piling audio up in memory; a decode past the time limit is dropped. The current
node's phrases go to Whisper as hot words, which biases it towards what the caller is likely
to say without forcing a grammar on it. Decodes Whisper is known to invent (silence, noise,
loops) are dropped by `whisper_guards`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import threading
import time
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    TranscriptionFrame,
)
from pipecat.services.settings import STTSettings
from pipecat.utils.time import time_now_iso8601

from voicebot.audio.codec import resample
from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.speech.early_decode import EarlyDecodingSTTService
from voicebot.speech.packaged import ModelMissingError, cache_dir_for, model_dir, packaged
from voicebot.speech.whisper_digits import fits_slot, needs_digits_decode
from voicebot.speech.whisper_guards import judge, token_budget

CALLER_ID = "caller"
WHISPER_RATE = 16000
WINDOW_SECS = 30.0
"""Whisper's window: a longer turn is encoded window by window."""
MAX_HOTWORD_CHARS = 300
"""Hot words share Whisper's 224-token prompt window with nothing else; keep them short."""


@dataclass(frozen=True)
class WhisperConfig:
    model: str = "tiny.en"
    """tiny.en / base from the models extra (checksummed), a faster-whisper model name (looked
    up in the local Hugging Face cache only) or a local directory holding a CTranslate2 Whisper
    model and its tokenizer.json."""
    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 5
    """Beam search: on tiny.en it costs about what greedy does (the encoder dominates a short
    turn) and hears more digit strings whole (docs/understanding.md)."""
    threads: int = 2
    language: str | None = "en"
    workers: int = 1
    """Turns decoded at the same time (each uses `threads` cores)."""
    max_pending: int = 8
    """Turns allowed to wait for a worker before new ones fail fast."""
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4)
    max_new_tokens: int | None = 64
    """A caller turn is a sentence or two; the budget per turn is also bounded by its length
    (whisper_guards.token_budget), which stops a hallucinating decode early."""
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    time_limit_secs: float = 4.0
    """A turn whose decode (waiting included) takes longer is dropped as not heard."""
    cache_dir: Path | None = None
    """Verified checksums and joined model files (packaged.cache_dir_for)."""
    digits_decode: bool = True
    """At a digit slot, a turn heard partly as words is decoded again as digits only
    (`speech.whisper_digits`)."""


@dataclass(frozen=True)
class WhisperSegmentTiming:
    start: float
    end: float


@dataclass(frozen=True)
class WhisperRecognition:
    """One decoded caller turn (the `result` of its TranscriptionFrame)."""

    text: str
    """What the caller said; empty when nothing believable was heard (see `rejected`)."""
    confidence: float
    """exp(mean token log-prob) over the turn: 1.0 is certain, ~0.3 is a guess; 0 if rejected."""
    decode_ms: float
    audio_ms: float
    queue_ms: float
    segments: tuple[WhisperSegmentTiming, ...] = field(default_factory=tuple)
    rejected: bool = False
    reject_reason: str | None = None
    """Why the decode was not believed: no speech, repetition, token budget, time limit…"""
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    heard: str = ""
    """Whisper's text before the guards (kept for benchmarks; never logged)."""
    digits_decoded: bool = False
    """`text` is the digits-only second decode; `heard` is still the first one's text."""
    audio: bytes = field(default=b"", repr=False)
    """The turn's PCM as decoded (set by WhisperSTTService), for a grammar cross-check."""
    sample_rate: int = 0
    """`audio`'s rate (0 while `audio` is empty)."""


def resolve_model_path(model: str, cache_dir: Path | None = None) -> Path:
    """The local directory of `model`, never downloading; ModelMissingError if absent.
    A packaged model (tiny.en, base) is verified first; ModelFileError if it is not intact."""
    packaged_model = packaged(model, "stt")
    if packaged_model is not None:
        return model_dir(packaged_model, cache_dir_for(cache_dir))
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file() or not (path / "tokenizer.json").is_file():
            # Without tokenizer.json faster-whisper would fetch one from the hub.
            raise ModelMissingError(
                f"{path} is not a faster-whisper model folder (needs model.bin and tokenizer.json)"
            )
        return path
    if os.sep in model or model.startswith("."):
        raise ModelMissingError(f"whisper model folder {path} does not exist")
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(model, local_files_only=True))
    except Exception:  # noqa: BLE001 - any lookup failure means: not on this machine
        raise ModelMissingError(
            f"whisper model '{model}' is not in the local Hugging Face cache", fetch_command(model)
        ) from None


def fetch_command(model: str) -> str:
    return (
        'python -c "from faster_whisper import WhisperModel; '
        f"WhisperModel('{model}', device='cpu', compute_type='int8')\""
    )


def hotwords_for(expect: Expectation) -> str | None:
    """The words the node expects, most specific first, as one comma-separated hot-word string.

    A node collecting a slot gets only the slot's own words ("yes, no", a choice's options):
    the global commands there ("…, goodbye, bye, good bye") were written back as the transcript
    of short answers ("yes" decoded "good bye" by base: 9 of 48 yes/no answers in
    bench/understanding.py), and a command said at a slot node is still heard without them."""
    if expect.free_speech and not expect.intents:
        return None
    phrases: list[str] = []
    slot = expect.slot
    if slot is not None:
        if slot.type == "yes_no":
            phrases.extend(("yes", "no"))
        for value, synonyms in slot.options:
            phrases.extend((value, *synonyms[:1]))
    else:
        for intent_phrases in expect.intents.values():
            phrases.extend(intent_phrases[:3])
        phrases.extend(q for q in expect.questions if " " not in q)  # an answer node's keywords
    seen: set[str] = set()
    kept: list[str] = []
    total = 0
    for phrase in phrases:
        if phrase in seen:
            continue
        if total + len(phrase) + 2 > MAX_HOTWORD_CHARS:
            break
        seen.add(phrase)
        kept.append(phrase)
        total += len(phrase) + 2
    return ", ".join(kept) or None


def initial_prompt_for(expect: Expectation) -> str | None:
    """A short context line for date and time slots. Digit slots get none: on tiny.en a
    digits prompt ("… 4 1 7 2 0 9.") lost 4 of 30 spoken 8-digit numbers (26/30 -> 22/30,
    docs/nl_stack.md)."""
    slot = expect.slot
    if slot is not None and slot.type in ("date", "time"):
        return f"The caller gives a {slot.type}: 14 March, 3:30 pm."
    return None


def _rejected(result: WhisperRecognition, reason: str) -> WhisperRecognition:
    return dataclasses.replace(result, text="", confidence=0.0, rejected=True, reject_reason=reason)


class WhisperRecognizer:
    """faster-whisper loaded once per process; thread-safe; `recognize` is the blocking call."""

    def __init__(self, config: WhisperConfig) -> None:
        from voicebot.speech.whisper_model import ReusingWhisperModel

        self.config = config
        self.model_path = resolve_model_path(config.model, config.cache_dir)
        try:
            self._model = ReusingWhisperModel(
                str(self.model_path),
                device=config.device,
                compute_type=config.compute_type,
                cpu_threads=config.threads,
                num_workers=config.workers,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechError(f"cannot load whisper model {self.model_path}: {exc}") from None
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="whisper")
        self._lock = threading.Lock()
        self._pending = 0

    def recognize(self, pcm16: bytes, sample_rate: int, expect: Expectation) -> WhisperRecognition:
        """Blocking: decode one turn of 16-bit mono PCM."""
        start = time.perf_counter()
        if sample_rate != WHISPER_RATE:
            pcm16 = resample(pcm16, sample_rate, WHISPER_RATE)
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        audio_secs = len(audio) / WHISPER_RATE
        budget = token_budget(audio_secs, self.config.max_new_tokens)
        try:
            hotwords, prompt = hotwords_for(expect), initial_prompt_for(expect)
            kept, text = self._transcribe(audio, budget, hotwords, prompt)
            heard, digits_decoded = text, False
            slot = expect.slot
            if (
                self.config.digits_decode
                and slot is not None
                and audio_secs <= WINDOW_SECS
                and needs_digits_decode(text, slot)
            ):
                digits_only = list(self._model.non_digit_tokens())  # faster-whisper extends it
                with self._model.same_encoding():
                    again = self._transcribe(audio, budget, None, None, suppress=digits_only)
                if fits_slot(again[1], slot):
                    (kept, text), digits_decoded = again, True
        finally:
            self._model.forget_encoding()
        tokens = sum(len(s.tokens) for s in kept)
        logprob = sum(s.avg_logprob * len(s.tokens) for s in kept) / tokens if tokens else -math.inf
        verdict = judge(kept, text, audio_secs, budget)
        result = WhisperRecognition(
            text=text,
            confidence=round(min(1.0, math.exp(logprob)), 4) if tokens else 0.0,
            decode_ms=round((time.perf_counter() - start) * 1000, 1),
            audio_ms=round(audio_secs * 1000, 1),
            queue_ms=0.0,
            segments=tuple(WhisperSegmentTiming(s.start, s.end) for s in kept),
            no_speech_prob=verdict.no_speech_prob,
            compression_ratio=verdict.compression_ratio,
            heard=heard,
            digits_decoded=digits_decoded,
        )
        return result if verdict.reason is None else _rejected(result, verdict.reason)

    def _transcribe(
        self,
        audio: np.ndarray,
        budget: int | None,
        hotwords: str | None,
        prompt: str | None,
        suppress: list[int] | None = None,
    ) -> tuple[list[Any], str]:
        """(segments, text) of one decode of `audio`; `suppress`: tokens it may not write."""
        c = self.config
        segments, _info = self._model.transcribe(
            audio,
            language=c.language,
            beam_size=c.beam_size,
            temperature=list(c.temperatures),
            hotwords=hotwords,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # pipecat's VAD already cut the turn
            max_new_tokens=budget,
            no_speech_threshold=c.no_speech_threshold,
            log_prob_threshold=c.log_prob_threshold,
            compression_ratio_threshold=c.compression_ratio_threshold,
            suppress_tokens=[-1] if suppress is None else suppress,
        )
        kept = list(segments)  # the generator decodes as it is consumed
        return kept, " ".join(s.text.strip() for s in kept).strip()

    async def recognize_async(
        self, pcm16: bytes, sample_rate: int, expect: Expectation
    ) -> WhisperRecognition:
        """Decode in the bounded pool, off the event loop, within the time limit: a turn that
        takes longer is returned rejected ("time limit") while its decode finishes unheard."""
        with self._lock:
            if self._pending >= self.config.max_pending + self.config.workers:
                raise SpeechError("speech recogniser overloaded", retryable=True)
            self._pending += 1
        queued = time.perf_counter()

        def run() -> WhisperRecognition:
            waited = round((time.perf_counter() - queued) * 1000, 1)
            result = self.recognize(pcm16, sample_rate, expect)
            return dataclasses.replace(result, queue_ms=waited)

        def release(_: object) -> None:
            with self._lock:
                self._pending -= 1

        job = self._pool.submit(run)
        job.add_done_callback(release)  # also when cancelled before it started
        try:
            return await asyncio.wait_for(asyncio.wrap_future(job), self.config.time_limit_secs)
        except TimeoutError:
            elapsed = round((time.perf_counter() - queued) * 1000, 1)
            audio_ms = round(len(pcm16) / 2 / sample_rate * 1000, 1)
            return WhisperRecognition(
                text="",
                confidence=0.0,
                decode_ms=elapsed,
                audio_ms=audio_ms,
                queue_ms=0.0,
                rejected=True,
                reject_reason="time limit",
            )

    def warm_up(self) -> None:
        """One decode of silence so the first caller does not pay for lazy initialisation."""
        self.recognize(b"\x00\x00" * (WHISPER_RATE // 2), WHISPER_RATE, Expectation(node=""))


class WhisperSTTService(EarlyDecodingSTTService[WhisperRecognition]):
    """Decodes each VAD-bounded caller turn with Whisper, biased towards the node's phrases.

    Every turn yields one TranscriptionFrame (empty text = nothing understood) whose `result`
    is the WhisperRecognition; the dialogue needs the empty ones too, to re-prompt.
    """

    def __init__(self, recognizer: WhisperRecognizer, **kwargs: Any) -> None:
        kwargs.setdefault(
            "settings",
            STTSettings(model=recognizer.config.model, language=recognizer.config.language),
        )
        super().__init__(**kwargs)
        self._recognizer = recognizer

    @property
    def wants_wav_segments(self) -> bool:
        return False

    async def recognize_turn(self, audio: bytes, expect: Expectation) -> WhisperRecognition:
        return await self._recognizer.recognize_async(audio, self.sample_rate, expect)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        await self.start_processing_metrics()
        # The early decode, when the turn's audio is its audio plus quiet (once taken, nothing
        # cancels it); otherwise the turn is decoded now.
        early = self.take_early(audio)
        try:
            if early is not None:
                result = await early
            else:
                result = await self.recognize_turn(audio, self._expect)
        except SpeechError as exc:
            yield ErrorFrame(error=f"speech recognition failed: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the call
            yield ErrorFrame(error=f"speech recognition failed: {SpeechError(str(exc))}")
            return
        finally:
            await self.stop_processing_metrics()
        result = dataclasses.replace(result, audio=audio, sample_rate=self.sample_rate)
        yield TranscriptionFrame(
            text=result.text, user_id=CALLER_ID, timestamp=time_now_iso8601(), result=result
        )
