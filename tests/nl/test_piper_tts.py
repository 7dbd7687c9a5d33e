"""piper's real loading and synthesis path on a tiny ONNX graph with piper's signature."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("piper", reason=NL_MISSING)
pytest.importorskip("onnx", reason=NL_MISSING)

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.tests.utils import run_test

from tests.nl.tiny_models import PIPER_SAMPLE_RATE
from voicebot.speech.espeak_tts import EspeakTTSSettings
from voicebot.speech.piper_tts import (
    PiperTTSService,
    PiperVoiceModel,
    scales_from_prosody,
    voice_files,
)
from voicebot.speech.whisper_stt import ModelMissingError

TWO_SENTENCES = "Your balance is ready. It is forty two pounds."


@pytest.fixture(scope="module")
def voice(tiny_piper: Path) -> PiperVoiceModel:
    return PiperVoiceModel(tiny_piper)


def test_synthesises_one_chunk_per_sentence(voice: PiperVoiceModel) -> None:
    assert voice.sample_rate == PIPER_SAMPLE_RATE
    sentences = list(voice.sentences(TWO_SENTENCES, (None, None)))
    assert len(sentences) == 2
    assert all(len(s) > 1000 for s in sentences)


def test_length_scale_reaches_the_model(voice: PiperVoiceModel) -> None:
    normal = sum(len(s) for s in voice.sentences(TWO_SENTENCES, (1.0, None)))
    slow = sum(len(s) for s in voice.sentences(TWO_SENTENCES, (1.5, None)))
    assert slow == pytest.approx(normal * 1.5, rel=0.05)


def test_missing_voice_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as info:
        voice_files(tmp_path / "en_US-lessac-medium")
    assert "python -m piper.download_voices en_US-lessac-medium" in str(info.value)


def test_prosody_styles_become_scales() -> None:
    scales = scales_from_prosody({"calm": (140, 40), "plain": (None, None)})
    assert scales["calm"] == (1.25, 0.6)
    assert scales["plain"] == (None, None)


async def test_service_streams_8khz_audio_sentence_by_sentence(voice: PiperVoiceModel) -> None:
    service = PiperTTSService(voice, sample_rate=8000)
    down, _ = await run_test(
        service, frames_to_send=[TTSSpeakFrame(text=TWO_SENTENCES)], expected_down_frames=None
    )
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio and all(f.sample_rate == 8000 for f in audio)
    total = sum(len(f.audio) for f in audio) // 2
    expected = sum(len(s) for s in voice.sentences(TWO_SENTENCES, (None, None)))
    assert total == pytest.approx(expected * 8000 / PIPER_SAMPLE_RATE, rel=0.02)


async def test_style_from_the_dialogue_slows_the_voice(voice: PiperVoiceModel) -> None:
    async def samples(*frames: Frame) -> int:
        service = PiperTTSService(voice, sample_rate=8000, styles={"calm": (2.0, 0.3)})
        down, _ = await run_test(service, frames_to_send=list(frames), expected_down_frames=None)
        return sum(len(f.audio) for f in down if isinstance(f, TTSAudioRawFrame))

    plain = await samples(TTSSpeakFrame(text="Hello there."))
    calm = await samples(
        # The dialogue sends the style in the embedded stack's settings class.
        TTSUpdateSettingsFrame(delta=EspeakTTSSettings(style="calm")),
        TTSSpeakFrame(text="Hello there."),
    )
    assert calm == pytest.approx(plain * 2, rel=0.05)


class SlowVoice(PiperVoiceModel):
    """The tiny voice, taking 3.5 s per sentence (a long sentence on a loaded machine)."""

    def sentences(self, text: str, scales: tuple[float | None, float | None]) -> Iterator[Any]:
        for audio in super().sentences(text, scales):
            time.sleep(3.5)
            yield audio


async def test_a_slow_sentence_is_not_taken_for_a_silent_tts(tiny_piper: Path) -> None:
    """pipecat ends a context that yields nothing for `stop_frame_timeout_s` (3 s by default)
    as "completed with no audio", an error the call treats as a TTS fault."""
    service = PiperTTSService(SlowVoice(tiny_piper), sample_rate=8000)
    down, up = await run_test(
        service, frames_to_send=[TTSSpeakFrame(text="Hello there.")], expected_down_frames=None
    )
    assert any(isinstance(f, TTSAudioRawFrame) for f in down)
    assert not [f for f in (*down, *up) if isinstance(f, ErrorFrame)]
