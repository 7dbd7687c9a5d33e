"""WAV reading across sample formats, broken captures with exact errors, and writing."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_AUDIO, SHARED_AUDIO_HELP
from voicebot.audio.codec import ulaw_decode, ulaw_encode
from voicebot.audio.wavfile import read_wav, write_stereo_wav, write_wav
from voicebot.exceptions import AudioFileError

MALFORMED = SHARED_AUDIO / "malformed"
needs_shared_audio = pytest.mark.skipif(
    not MALFORMED.is_dir(), reason=f"shared audio {MALFORMED} is absent: {SHARED_AUDIO_HELP}"
)


def _riff(tag: int, channels: int, rate: int, bits: int, data: bytes) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _write(tmp_path: Path, content: bytes, name: str = "x.wav") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _samples(pcm16: bytes) -> list[int]:
    return np.frombuffer(pcm16, dtype="<i2").tolist()


@needs_shared_audio
@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "bad.wav",
            "'fmt ' chunk at byte 12 claims 1717986918 bytes but only 24 remain "
            "(corrupt or truncated header)",
        ),
        (
            "evil.wav",
            "'HURF' chunk at byte 36 claims 960051513 bytes but only 5000 remain "
            "(corrupt or truncated header)",
        ),
        ("awful.wav", "implausible sample rate 1092676 Hz (expected 1000-384000)"),
    ],
)
def test_malformed_files_fail_with_one_message_naming_file_and_problem(
    name: str, problem: str
) -> None:
    path = MALFORMED / name
    with pytest.raises(AudioFileError) as caught:
        read_wav(path)
    assert str(caught.value) == f"{path}: {problem}"
    assert caught.value.__cause__ is None  # one message, no chained parser traceback


@needs_shared_audio
def test_header_without_audio_is_empty_not_an_error() -> None:
    assert read_wav(MALFORMED / "null.wav") == (b"", 16000)


def test_missing_file_and_non_wav(tmp_path: Path) -> None:
    missing = tmp_path / "nope.wav"
    with pytest.raises(AudioFileError, match=r"nope\.wav: cannot read file \(No such file"):
        read_wav(missing)
    text = _write(tmp_path, b"hello, this is not audio at all", "notes.wav")
    with pytest.raises(AudioFileError) as caught:
        read_wav(text)
    assert str(caught.value) == f"{text}: not a WAV file (no RIFF/WAVE header)"


def test_missing_chunks_and_unsupported_formats(tmp_path: Path) -> None:
    no_data = _riff(1, 1, 8000, 16, b"")[:-8]  # drop the data chunk header
    cases = {
        "no_data.wav": (no_data, "no 'data' chunk"),
        "no_fmt.wav": (b"RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00", "no 'fmt ' chunk"),
        "adpcm.wav": (_riff(2, 1, 8000, 4, b"\x00"), "unsupported format tag 0x0002"),
        "pcm12.wav": (_riff(1, 1, 8000, 12, b"\x00"), "unsupported 12-bit samples"),
        "zero_channels.wav": (_riff(1, 0, 8000, 16, b""), "implausible channel count 0"),
    }
    for name, (content, problem) in cases.items():
        with pytest.raises(AudioFileError) as caught:
            read_wav(_write(tmp_path, content, name))
        assert str(caught.value).startswith(f"{tmp_path / name}: {problem}")


def test_reads_16_bit_mono_exactly(tmp_path: Path) -> None:
    pcm = np.array([0, 1, -1, 32767, -32768], dtype="<i2").tobytes()
    assert read_wav(_write(tmp_path, _riff(1, 1, 16000, 16, pcm))) == (pcm, 16000)


@pytest.mark.parametrize(
    ("tag", "bits", "data", "expected"),
    [
        (1, 8, bytes([128, 255, 0]), [0, 127 << 8, -32768]),  # 8-bit WAV is unsigned
        (1, 24, bytes([0xFF, 0x34, 0x12, 0x00, 0x00, 0x80]), [0x1234, -32768]),
        (1, 32, struct.pack("<2i", 0x12345678, -(1 << 31)), [0x1234, -32768]),
        (3, 32, struct.pack("<3f", 0.5, -1.0, 2.0), [16384, -32767, 32767]),
        (7, 8, ulaw_encode(struct.pack("<2h", 0, -32124)), [0, -32124]),
    ],
)
def test_reads_other_sample_formats_as_16_bit(
    tmp_path: Path, tag: int, bits: int, data: bytes, expected: list[int]
) -> None:
    pcm, rate = read_wav(_write(tmp_path, _riff(tag, 1, 8000, bits, data)))
    assert rate == 8000
    assert _samples(pcm) == expected


def test_downmixes_stereo_and_drops_a_torn_final_frame(tmp_path: Path) -> None:
    stereo = struct.pack("<4h", 1000, 3000, -200, -400) + b"\x01\x02"
    pcm, _ = read_wav(_write(tmp_path, _riff(1, 2, 8000, 16, stereo)))
    assert _samples(pcm) == [2000, -300]


def test_trailing_junk_after_audio_is_ignored(tmp_path: Path) -> None:
    pcm = struct.pack("<2h", 5, -5)
    content = _riff(1, 1, 8000, 16, pcm) + b"JUNK\xff\xff\xff\xff"
    assert read_wav(_write(tmp_path, content)) == (pcm, 8000)


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    pcm = np.arange(-500, 500, dtype="<i2").tobytes()
    write_wav(tmp_path / "m.wav", pcm, 8000)
    assert read_wav(tmp_path / "m.wav") == (pcm, 8000)
    with pytest.raises(ValueError, match="not a whole number of 2-channel frames"):
        write_wav(tmp_path / "s.wav", b"\x00\x00", 8000, channels=2)


def test_write_stereo_pads_the_shorter_channel(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_stereo_wav(path, struct.pack("<3h", 100, 200, 300), struct.pack("<1h", -100), 8000)
    raw = path.read_bytes()[44:]
    assert _samples(raw) == [100, -100, 200, 0, 300, 0]
    pcm, rate = read_wav(path)
    assert (_samples(pcm), rate) == ([0, 100, 150], 8000)


DEMO = Path(__file__).parents[2] / "audio_fixtures" / "demo"


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.wav")), ids=lambda p: p.name)
def test_demo_fixtures_are_short_telephone_audio(path: Path) -> None:
    pcm, rate = read_wav(path)
    samples = np.frombuffer(pcm, dtype="<i2")
    assert rate == 8000
    assert 0.2 < samples.size / rate < 4.0
    # Every sample is a μ-law code point: the file really went through the round trip.
    assert set(np.unique(samples)) <= set(np.frombuffer(ulaw_decode(bytes(range(256))), "<i2"))
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 0.02 * 32768)
    assert loud[0] / rate <= 0.15 and (samples.size - 1 - loud[-1]) / rate <= 0.15


def test_all_demo_fixtures_exist() -> None:
    expected = {"check_my_balance", "report_an_outage", "account_number_spoken", "yes", "no"}
    expected |= {"agent", "out_of_grammar", "youre_useless", "cancel_my_account"}
    expected |= {"i_want_to_end_my_life", "mm_hmm", "cough"}
    assert {p.stem for p in DEMO.glob("*.wav")} == expected
