"""Read any PCM or μ-law WAV file as mono 16-bit PCM, and write WAV files.

The reader parses RIFF itself so a broken header becomes one clear AudioFileError, never a
hang, a traceback or an allocation sized by whatever the header claims.
"""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voicebot.audio.codec import ulaw_decode
from voicebot.exceptions import AudioFileError

_PCM, _FLOAT, _ULAW, _EXTENSIBLE = 0x0001, 0x0003, 0x0007, 0xFFFE
_MIN_RATE, _MAX_RATE = 1000, 384_000
_MAX_CHANNELS = 32
# Larger than an hour of 48 kHz stereo; refuses to slurp a mislabelled disk image.
_MAX_FILE_BYTES = 1 << 30


def read_wav(path: str | Path) -> tuple[bytes, int]:
    """Return the file's audio as mono 16-bit little-endian PCM and its sample rate.

    Accepts integer PCM (8/16/24/32-bit), 32-bit float and 8-bit μ-law, any channel count
    (downmixed by averaging). A file with a valid header and no audio gives empty audio.
    """
    try:
        size = Path(path).stat().st_size
        if size > _MAX_FILE_BYTES:
            raise AudioFileError(f"{path}: file is {size} bytes, over the {_MAX_FILE_BYTES} limit")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AudioFileError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    try:
        return _decode(data)
    except _Problem as problem:
        raise AudioFileError(f"{path}: {problem}") from None


class _Problem(Exception):
    """A format problem, before the file name is attached."""


def _decode(data: bytes) -> tuple[bytes, int]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _Problem("not a WAV file (no RIFF/WAVE header)")
    fmt: bytes | None = None
    audio: bytes | None = None
    offset = 12
    # Stop at the first fmt+data pair: trailing metadata or junk cannot spoil good audio.
    while offset + 8 <= len(data) and (fmt is None or audio is None):
        chunk_id, chunk_size = struct.unpack_from("<4sI", data, offset)
        body = offset + 8
        remaining = len(data) - body
        if chunk_size > remaining:
            name = chunk_id.decode("latin-1")
            raise _Problem(
                f"{name!r} chunk at byte {offset} claims {chunk_size} bytes "
                f"but only {remaining} remain (corrupt or truncated header)"
            )
        if chunk_id == b"fmt ":
            fmt = data[body : body + chunk_size]
        elif chunk_id == b"data":
            audio = data[body : body + chunk_size]
        offset = body + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    if fmt is None:
        raise _Problem("no 'fmt ' chunk")
    if audio is None:
        raise _Problem("no 'data' chunk")
    tag, channels, rate, bits = _parse_fmt(fmt)
    return _to_mono16(audio, tag, channels, bits), rate


def _parse_fmt(fmt: bytes) -> tuple[int, int, int, int]:
    if len(fmt) < 16:
        raise _Problem(f"'fmt ' chunk is {len(fmt)} bytes, expected at least 16")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        # WAVE_FORMAT_EXTENSIBLE keeps the real format tag at the start of its GUID.
        (tag,) = struct.unpack_from("<H", fmt, 24)
    supported = {_PCM: (8, 16, 24, 32), _FLOAT: (32,), _ULAW: (8,)}
    if tag not in supported:
        raise _Problem(f"unsupported format tag 0x{tag:04x} (only PCM, float and μ-law)")
    if bits not in supported[tag]:
        raise _Problem(f"unsupported {bits}-bit samples for format tag 0x{tag:04x}")
    if not 1 <= channels <= _MAX_CHANNELS:
        raise _Problem(f"implausible channel count {channels}")
    if not _MIN_RATE <= rate <= _MAX_RATE:
        raise _Problem(f"implausible sample rate {rate} Hz (expected {_MIN_RATE}-{_MAX_RATE})")
    if block_align != channels * bits // 8:
        raise _Problem(
            f"block align {block_align} does not match {channels} channel(s) of {bits}-bit"
        )
    return tag, channels, rate, bits


def _to_mono16(audio: bytes, tag: int, channels: int, bits: int) -> bytes:
    width = bits // 8
    usable = len(audio) - len(audio) % (width * channels)  # drop a torn final frame
    raw = np.frombuffer(audio[:usable], dtype=np.uint8)
    if tag == _ULAW:
        samples = np.frombuffer(ulaw_decode(raw.tobytes()), dtype="<i2").astype(np.int32)
    elif tag == _FLOAT:
        floats = raw.view("<f4").astype(np.float64)
        samples = np.round(np.clip(np.nan_to_num(floats), -1.0, 1.0) * 32767).astype(np.int32)
    elif bits == 8:
        samples = (raw.astype(np.int32) - 128) << 8  # 8-bit WAV is unsigned
    elif bits == 16:
        samples = raw.view("<i2").astype(np.int32)
    elif bits == 24:
        triples = raw.reshape(-1, 3)
        # Keep the top two bytes: the low byte is below 16-bit resolution.
        samples = triples[:, 1:].copy().view("<i2").reshape(-1).astype(np.int32)
    else:
        samples = raw.view("<i4") >> 16
    if channels > 1:
        samples = samples.reshape(-1, channels).sum(axis=1) // channels
    return samples.astype("<i2").tobytes()


def write_wav(path: str | Path | BinaryIO, pcm16: bytes, rate: int, channels: int = 1) -> None:
    """Write 16-bit PCM (interleaved when `channels` > 1) as a WAV file (or into a stream)."""
    if len(pcm16) % (2 * channels):
        raise ValueError(f"{len(pcm16)} bytes is not a whole number of {channels}-channel frames")
    with wave.open(path if not isinstance(path, str | Path) else str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm16)


def wav_bytes(pcm16: bytes, rate: int) -> bytes:
    """Mono 16-bit PCM as the bytes of a WAV file."""
    buffer = io.BytesIO()
    write_wav(buffer, pcm16, rate)
    return buffer.getvalue()


def write_stereo_wav(path: str | Path, left_pcm16: bytes, right_pcm16: bytes, rate: int) -> None:
    """Write two mono 16-bit PCM tracks as one stereo WAV, padding the shorter with silence."""
    left = np.frombuffer(left_pcm16, dtype="<i2")
    right = np.frombuffer(right_pcm16, dtype="<i2")
    stereo = np.zeros((max(left.size, right.size), 2), dtype="<i2")
    stereo[: left.size, 0] = left
    stereo[: right.size, 1] = right
    write_wav(path, stereo.tobytes(), rate, channels=2)
