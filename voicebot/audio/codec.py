"""G.711 μ-law, resampling and framing for Twilio Media Streams audio.

Pure numpy over raw bytes: 16-bit little-endian PCM in, μ-law or PCM out.
"""

from __future__ import annotations

import numpy as np
import soxr

TELEPHONE_RATE = 8000
FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law, one byte per sample: Twilio's frame size.
ULAW_SILENCE = 0xFF  # μ-law of 0 (all bits inverted); 0x00 would be full-scale negative.


def _build_encode_table() -> np.ndarray:
    """μ-law byte for every int16 value, bit-exact with CPython's audioop.lin2ulaw.

    audioop is what pipecat's Twilio serializer used, so matching it keeps our fixtures
    and the live path byte-identical.
    """
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2  # 14-bit, floor shift as audioop
    negative = pcm < 0
    magnitude = np.minimum(np.abs(pcm), 8159) + 33  # clip, then add BIAS >> 2
    segment_ends = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    segment = np.searchsorted(segment_ends, magnitude, side="left")
    mantissa = (magnitude >> (np.minimum(segment, 7) + 1)) & 0x0F
    code = np.where(segment >= 8, 0x7F, (segment << 4) | mantissa)
    mask = np.where(negative, 0x7F, 0xFF)
    table = (code ^ mask).astype(np.uint8)
    # Re-index so that a sample viewed as uint16 picks its own entry.
    return np.roll(table, -32768)


def _build_decode_table() -> np.ndarray:
    """int16 value for every μ-law byte (ITU-T G.711)."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype("<i2")


_ENCODE = _build_encode_table()
_DECODE = _build_decode_table()


def _samples(pcm16: bytes) -> np.ndarray:
    if len(pcm16) % 2:
        raise ValueError(f"16-bit PCM must have an even number of bytes, got {len(pcm16)}")
    return np.frombuffer(pcm16, dtype="<i2")


def ulaw_encode(pcm16: bytes) -> bytes:
    """Encode 16-bit PCM as G.711 μ-law, one byte per sample."""
    return _ENCODE[_samples(pcm16).view("<u2")].tobytes()


def ulaw_decode(ulaw: bytes) -> bytes:
    """Decode G.711 μ-law bytes to 16-bit PCM."""
    return _DECODE[np.frombuffer(ulaw, dtype=np.uint8)].tobytes()


def resample(pcm16: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Resample mono 16-bit PCM with soxr (high quality); identity when the rates match."""
    samples = _samples(pcm16)
    if src_rate == dst_rate or samples.size == 0:
        return pcm16
    out = soxr.resample(samples, src_rate, dst_rate)
    return np.asarray(out, dtype="<i2").tobytes()


def split_frames(data: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Cut μ-law audio into fixed-size frames, padding the last with μ-law silence."""
    if frame_bytes <= 0:
        raise ValueError(f"frame_bytes must be positive, got {frame_bytes}")
    frames = [data[i : i + frame_bytes] for i in range(0, len(data), frame_bytes)]
    if frames and len(frames[-1]) < frame_bytes:
        frames[-1] = frames[-1].ljust(frame_bytes, bytes([ULAW_SILENCE]))
    return frames


def to_telephone(pcm16: bytes, rate: int) -> bytes:
    """What Twilio would deliver for this audio: 8 kHz G.711 μ-law."""
    return ulaw_encode(resample(pcm16, rate, TELEPHONE_RATE))


def normalise_peak(pcm16: bytes, peak_dbfs: float = -3.0) -> bytes:
    """Scale 16-bit PCM so its loudest sample sits at `peak_dbfs` (silence is left alone).

    -3 dBFS leaves headroom for μ-law's coarse top segment, so nothing clips on the phone.
    """
    samples = _samples(pcm16).astype(np.float64)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak == 0.0:
        return pcm16
    target = np.floor(32768 * 10 ** (peak_dbfs / 20))
    scaled = np.round(samples * (target / peak))
    return np.clip(scaled, -target, target).astype("<i2").tobytes()
