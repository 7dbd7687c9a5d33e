"""G.711 μ-law, resampling and framing against known values and signal measurements."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from voicebot.audio.codec import (
    normalise_peak,
    resample,
    split_frames,
    to_telephone,
    ulaw_decode,
    ulaw_encode,
)

ALL_INT16 = np.arange(-32768, 32768, dtype="<i2")


def _pcm(samples: np.ndarray) -> bytes:
    return np.asarray(samples, dtype="<i2").tobytes()


def _tone(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / samples.size)


@pytest.mark.parametrize(
    ("sample", "code"),
    [(0, 0xFF), (-8, 0x7E), (32767, 0x80), (-32768, 0x00), (1000, 0xCE), (-1000, 0x4E)],
)
def test_encode_known_g711_values(sample: int, code: int) -> None:
    assert ulaw_encode(_pcm(np.array([sample]))) == bytes([code])


@pytest.mark.parametrize(
    ("code", "sample"), [(0xFF, 0), (0x7F, 0), (0x80, 32124), (0x00, -32124), (0xCE, 988)]
)
def test_decode_known_g711_values(code: int, sample: int) -> None:
    assert np.frombuffer(ulaw_decode(bytes([code])), dtype="<i2")[0] == sample


def test_codec_is_bit_exact_with_audioop_when_available() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop", reason="audioop was removed in Python 3.13")
    assert ulaw_encode(ALL_INT16.tobytes()) == audioop.lin2ulaw(ALL_INT16.tobytes(), 2)
    assert ulaw_decode(bytes(range(256))) == audioop.ulaw2lin(bytes(range(256)), 2)


def test_round_trip_error_is_within_one_g711_step_for_every_sample() -> None:
    decoded = np.frombuffer(ulaw_decode(ulaw_encode(ALL_INT16.tobytes())), dtype="<i2")
    error = np.abs(decoded.astype(np.int32) - ALL_INT16.astype(np.int32))
    # G.711 steps are 1/16 of the segment's base magnitude; 8 covers the finest segment.
    assert np.all(error <= 8 + np.abs(ALL_INT16.astype(np.int32)) / 16)


def test_round_trip_of_a_tone_keeps_telephone_quality_snr() -> None:
    tone = _tone(440, 8000, 1.0)
    decoded = np.frombuffer(ulaw_decode(ulaw_encode(tone.tobytes())), dtype="<i2")
    noise = decoded.astype(np.float64) - tone
    snr_db = 10 * np.log10(np.sum(tone.astype(np.float64) ** 2) / np.sum(noise**2))
    assert 33 < snr_db < 45  # μ-law's ~38 dB; a linear 8-bit codec would be far worse here


def test_encode_rejects_a_torn_sample() -> None:
    with pytest.raises(ValueError, match="even number of bytes, got 3"):
        ulaw_encode(b"\x00\x01\x02")


def test_split_frames_pads_only_the_last_frame_with_ulaw_silence() -> None:
    frames = split_frames(bytes(range(200)) * 2)
    assert [len(f) for f in frames] == [160, 160, 160]
    assert frames[0] == bytes(range(160))
    assert frames[2] == bytes(range(120, 200)) + b"\xff" * 80


def test_split_frames_of_whole_frames_and_of_nothing() -> None:
    assert split_frames(b"\x01" * 320) == [b"\x01" * 160, b"\x01" * 160]
    assert split_frames(b"") == []
    assert split_frames(b"\x01" * 5, frame_bytes=2) == [b"\x01\x01", b"\x01\x01", b"\x01\xff"]


@pytest.mark.parametrize(("src", "dst"), [(16000, 8000), (22050, 8000), (8000, 16000)])
def test_resample_length_and_pitch(src: int, dst: int) -> None:
    out = np.frombuffer(resample(_tone(1000, src, 1.0).tobytes(), src, dst), dtype="<i2")
    assert out.size == dst
    assert _dominant_hz(out, dst) == pytest.approx(1000, abs=2)


def test_resample_is_identity_when_rates_match() -> None:
    pcm = _tone(300, 8000, 0.1).tobytes()
    assert resample(pcm, 8000, 8000) == pcm


def test_to_telephone_gives_8khz_ulaw_of_the_same_sound() -> None:
    ulaw = to_telephone(_tone(700, 16000, 0.5).tobytes(), 16000)
    assert len(ulaw) == 4000  # 0.5 s at 8 kHz, one byte per sample
    decoded = np.frombuffer(ulaw_decode(ulaw), dtype="<i2")
    assert _dominant_hz(decoded, 8000) == pytest.approx(700, abs=2)


def test_normalise_peak_sets_the_peak_to_minus_3_dbfs_both_ways() -> None:
    for amplitude in (0.05, 1.0):
        out = np.frombuffer(normalise_peak(_tone(200, 8000, 0.2, amplitude).tobytes()), "<i2")
        peak_dbfs = 20 * np.log10(np.max(np.abs(out.astype(np.int32))) / 32768)
        assert -3.01 < peak_dbfs <= -3.0


def test_normalise_peak_leaves_silence_alone() -> None:
    assert normalise_peak(b"\x00\x00" * 10) == b"\x00\x00" * 10
