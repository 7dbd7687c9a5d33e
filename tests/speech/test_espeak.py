"""Real espeak-ng synthesis, and EspeakTTSService driven through a real pipecat pipeline."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.pipeline.task import PipelineParams
from pipecat.tests.utils import run_test

from voicebot.audio.codec import ulaw_encode
from voicebot.exceptions import SpeechError
from voicebot.speech.espeak import EspeakSynthesizer, _wavegen_counters
from voicebot.speech.espeak_tts import EspeakTTSService

SENTENCE = "Thanks for calling. How can I help you today?"


def _samples(pcm16: bytes) -> np.ndarray:
    return np.frombuffer(pcm16, dtype="<i2").astype(np.int32)


def _seconds(pcm16: bytes, rate: int) -> float:
    return len(pcm16) / 2 / rate


def _rms(pcm16: bytes) -> float:
    return float(np.sqrt(np.mean(_samples(pcm16).astype(np.float64) ** 2)))


# ---- the ctypes binding --------------------------------------------------------------


def test_synthesis_is_speech_of_plausible_length() -> None:
    pcm, rate = EspeakSynthesizer().synthesize("check my balance")
    assert rate == 22050
    assert 0.6 < _seconds(pcm, rate) < 2.5  # three words at ~175 words/min
    assert _rms(pcm) > 1000  # speech, not near-silence


def test_rate_changes_duration_and_variant_changes_sound() -> None:
    synth = EspeakSynthesizer()
    slow, rate = synth.synthesize(SENTENCE, rate=120)
    fast, _ = synth.synthesize(SENTENCE, rate=300)
    assert _seconds(slow, rate) > 1.8 * _seconds(fast, rate)
    male, _ = synth.synthesize("hello", voice="en-us")
    female, _ = synth.synthesize("hello", voice="en-us+f3")
    assert male != female


def test_the_same_text_gives_the_same_samples_whatever_was_spoken_before() -> None:
    # espeak-ng's wave generator keeps counters between syntheses unless they are reset: then
    # "by post" came out two ways depending on the prompt before it, and recognition flaked.
    synth = EspeakSynthesizer()
    heard = {}
    for before, voice in [("no", "en-us"), ("yes", "en-us"), ("hello", "en-us"),
                          ("no thanks", "en-gb"), (SENTENCE, "en-us+m3")]:  # fmt: skip
        synth.synthesize(before, voice=voice)
        heard[before] = synth.synthesize("by post")[0]
    assert len(set(heard.values())) == 1, [len(pcm) for pcm in heard.values()]


def test_a_library_without_its_symbol_table_still_speaks_only_not_repeatably() -> None:
    synth = EspeakSynthesizer()
    assert len(synth._engine.counters) == 2  # the wheel's build: both counters found
    assert _wavegen_counters(__file__, synth._engine.lib) == ()  # not an ELF file
    assert _wavegen_counters("/nonexistent/libespeak-ng.so", synth._engine.lib) == ()


def test_language_codes_resolve_like_the_command_line() -> None:
    pcm, rate = EspeakSynthesizer().synthesize("good morning", voice="en-gb+m3")
    assert _seconds(pcm, rate) > 0.3


def test_unknown_voice_and_bad_params_raise() -> None:
    synth = EspeakSynthesizer()
    with pytest.raises(SpeechError, match="espeak-ng has no voice 'xx-nowhere'") as caught:
        synth.synthesize("hi", voice="xx-nowhere")
    assert caught.value.retryable is False
    with pytest.raises(ValueError, match="rate must be 80-450 words/min, not 20"):
        synth.synthesize("hi", rate=20)
    assert synth.synthesize("   ") == (b"", 22050)


def test_concurrent_callers_get_their_own_audio() -> None:
    # Long, different texts released together by a barrier, so calls truly overlap.
    texts = [" ".join([word] * n) for word, n in [("yes", 40), ("balance", 25), ("agent", 10)]] * 2
    synth = EspeakSynthesizer()
    alone = {text: _seconds(synth.synthesize(text)[0], 22050) for text in set(texts)}
    barrier = threading.Barrier(len(texts))

    def speak(text: str) -> float:
        barrier.wait()
        return _seconds(synth.synthesize(text)[0], 22050)

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        together = list(pool.map(speak, texts))
    for text, seconds in zip(texts, together, strict=True):
        # espeak-ng adds random jitter, so lengths match closely rather than exactly.
        assert seconds == pytest.approx(alone[text], rel=0.02), text[:20]


# ---- the pipecat service -------------------------------------------------------------


async def _speak(tts: EspeakTTSService, *frames: Frame) -> list[Frame]:
    down, _ = await run_test(
        tts, frames_to_send=list(frames), pipeline_params=PipelineParams(audio_out_sample_rate=8000)
    )
    return list(down)


def _audio(frames: list[Frame]) -> list[TTSAudioRawFrame]:
    return [f for f in frames if isinstance(f, TTSAudioRawFrame)]


async def test_service_yields_8khz_audio_normalised_to_minus_3_dbfs() -> None:
    frames = await _speak(EspeakTTSService(voice="en-us+f3"), TTSSpeakFrame(SENTENCE))
    kinds = [type(f) for f in frames if isinstance(f, (TTSStartedFrame, TTSStoppedFrame))]
    assert kinds == [TTSStartedFrame, TTSStoppedFrame]
    first = next(i for i, f in enumerate(frames) if isinstance(f, TTSAudioRawFrame))
    last = max(i for i, f in enumerate(frames) if isinstance(f, TTSAudioRawFrame))
    assert isinstance(frames[first - 1], TTSStartedFrame)
    assert any(isinstance(f, TTSStoppedFrame) for f in frames[last:])

    audio = _audio(frames)
    assert {(f.sample_rate, f.num_channels) for f in audio} == {(8000, 1)}
    assert {len(f.audio) for f in audio[:-1]} == {640}  # 40 ms chunks
    pcm = b"".join(f.audio for f in audio)
    assert 1.5 < _seconds(pcm, 8000) < 5.0
    peak_dbfs = 20 * np.log10(np.max(np.abs(_samples(pcm))) / 32768)
    assert -3.1 < peak_dbfs <= -3.0
    # 0x80/0x00 are μ-law's full-scale codes: hitting them would mean clipping on the phone.
    assert not set(ulaw_encode(pcm)) & {0x00, 0x80}


async def test_styles_and_runtime_updates_change_the_speaking_rate() -> None:
    tts = EspeakTTSService(styles={"slow": (100, 40), "brisk": (260, 60)}, style="brisk")
    brisk = _audio(await _speak(tts, TTSSpeakFrame(SENTENCE)))

    tts = EspeakTTSService(styles={"slow": (100, 40), "brisk": (260, 60)}, style="brisk")
    slow = _audio(
        await _speak(
            tts,
            TTSUpdateSettingsFrame(delta=EspeakTTSService.Settings(style="slow")),
            TTSSpeakFrame(SENTENCE),
        )
    )
    assert sum(len(f.audio) for f in slow) > 2 * sum(len(f.audio) for f in brisk)


async def test_invalid_runtime_update_is_ignored_and_speech_continues() -> None:
    tts = EspeakTTSService(rate=200)
    frames = await _speak(
        tts,
        TTSUpdateSettingsFrame(delta=EspeakTTSService.Settings(voice="xx-nowhere", rate=9999)),
        TTSSpeakFrame("yes"),
    )
    assert _audio(frames)
    assert tts.voice_params() == (200, None)


def test_bad_configuration_fails_at_construction() -> None:
    with pytest.raises(SpeechError, match="no voice 'en-klingon'"):
        EspeakTTSService(voice="en-klingon")
    with pytest.raises(ValueError, match="pitch must be 0-100, not 140"):
        EspeakTTSService(styles={"shrill": (None, 140)})
    with pytest.raises(ValueError, match="style 'angry' is not one of"):
        EspeakTTSService(styles={"calm": (150, 40)}, style="angry")


class _BrokenSynthesizer(EspeakSynthesizer):
    """The real engine's interface, failing the way a library error would."""

    def synthesize(
        self, text: str, voice: str = "en-us", rate: int | None = None, pitch: int | None = None
    ) -> tuple[bytes, int]:
        raise SpeechError("espeak-ng synthesis failed: internal error")


async def test_synthesis_failure_is_an_error_frame_and_keeps_text_out_of_logs() -> None:
    secret = "my account number is 4417 1234"
    messages: list[str] = []
    sink = logger.add(
        lambda m: messages.append(m.record["message"]),
        level="DEBUG",
        filter=lambda r: (r["name"] or "").startswith("voicebot"),  # pipecat's own logs aside
    )
    try:
        tts = EspeakTTSService(stop_frame_timeout_s=0.2)  # no audio will come; don't wait 3 s
        tts._synthesizer = _BrokenSynthesizer()
        down, up = await run_test(
            tts,
            frames_to_send=[TTSSpeakFrame(secret)],
            pipeline_params=PipelineParams(audio_out_sample_rate=8000),
        )
    finally:
        logger.remove(sink)
    errors = [f for f in [*down, *up] if isinstance(f, ErrorFrame)]
    assert errors and "internal error" in errors[0].error
    assert not _audio(list(down))
    assert any("synthesis failed" in m for m in messages)
    assert not any("4417" in m or "account" in m for m in messages)
