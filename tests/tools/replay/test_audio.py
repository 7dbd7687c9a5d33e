"""Loading caller audio: any format and rate to 8 kHz μ-law, broken files as clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.conftest import shared_audio
from voicebot.exceptions import AudioFileError
from voicebot.tools.replay import audio


def tone(rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2")


@pytest.mark.parametrize(
    ("suffix", "rate"), [(".flac", 44100), (".wav", 16000), (".ogg", 48000), (".mp3", 22050)]
)
def test_formats_and_rates_become_telephone_frames(tmp_path: Path, suffix: str, rate: int) -> None:
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, tone(rate), rate)
    frames = audio.load_frames(path)
    # 0.5 s in 20 ms frames of 8 kHz μ-law (an MP3 encoder pads a frame or two)
    assert 25 <= len(frames) <= 28
    assert all(len(f) == 160 for f in frames)
    assert audio.telephone_ready(path) is None


def test_raw_ulaw_capture_is_sent_as_is(tmp_path: Path) -> None:
    path = tmp_path / "capture.ulaw"
    path.write_bytes(bytes(range(256)) * 5)
    assert b"".join(audio.load_frames(path))[:1280] == bytes(range(256)) * 5


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="no such file"):
        audio.load_frames(tmp_path / "absent.wav")
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioFileError, match="cannot decode"):
        audio.load_frames(junk)
    assert audio.telephone_ready(junk) is not None


def test_silent_file_is_not_telephone_ready(tmp_path: Path) -> None:
    path = tmp_path / "quiet.wav"
    soundfile.write(path, np.zeros(8000, dtype="<i2"), 8000)
    assert "near-silent" in (audio.telephone_ready(path) or "")


@pytest.mark.parametrize("name", ["bad.wav", "evil.wav", "awful.wav", "null.wav"])
def test_shared_malformed_files_fail_clearly(name: str) -> None:
    path = shared_audio("malformed", name)
    with pytest.raises(AudioFileError) as caught:
        audio.load_frames(path)
    assert name in str(caught.value)
    assert audio.telephone_ready(path) is not None


def test_real_speech_reference_skips_when_folder_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_REAL_SPEECH", str(tmp_path / "nowhere"))
    with pytest.raises(audio.MissingRealSpeech, match="absent"):
        audio.resolve("$REAL_SPEECH/x.wav", tmp_path)


def test_noise_is_seeded_by_the_text() -> None:
    pcm = tone(8000).tobytes()
    noisy = audio.add_noise(pcm, 0.05, seed_text="yes")
    assert noisy == audio.add_noise(pcm, 0.05, seed_text="yes")
    assert noisy != audio.add_noise(pcm, 0.05, seed_text="no")
    hiss = np.frombuffer(noisy, "<i2").astype(float) - tone(8000)
    assert 0.04 < hiss.std() / 32768 < 0.06


def test_synthesis_is_cached_by_text_and_settings() -> None:
    one = audio.synth_path("yes", "en-us", 160, 0.0)
    assert one == audio.synth_path("yes", "en-us", 160, 0.0)
    assert one != audio.synth_path("yes", "en-gb", 160, 0.0)
    assert one.name.startswith("yes-") and one.suffix == ".wav"
