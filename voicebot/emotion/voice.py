"""Prosody of one caller turn from 8 kHz PCM16: loudness, pitch level and range, speaking rate.

Cheap on purpose (one numpy pass, a few ms per turn): 40 ms frames every 20 ms, energy for
loudness and speech/pause, FFT autocorrelation for pitch (the telephone band cuts the
fundamental, but the harmonics keep its period), syllable nuclei as energy peaks for rate.
`relative_arousal` compares a turn with the same caller's earlier turns: a raised voice means
raised for *this* caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median

import numpy as np

from voicebot.emotion.labels import VoiceFeatures

FRAME_S = 0.040
HOP_S = 0.020
PITCH_MIN_HZ, PITCH_MAX_HZ = 60.0, 400.0
VOICING_THRESHOLD = 0.45  # normalised autocorrelation peak above which a frame is voiced
SPEECH_FLOOR_DB = -55.0  # frames quieter than this are never speech
SPEECH_BELOW_PEAK_DB = 30.0  # ... nor are frames this far below the turn's loudest frame
MIN_VOICED_S = 0.2  # less voiced speech than this: too little to measure, `voice_features` → None
MIN_PITCH_FRAMES = 5
NUCLEUS_DIP_DB = 2.0  # an energy peak must rise this far above the dip before it to count
NUCLEUS_MIN_GAP_S = 0.1  # syllables closer than this are one nucleus


def _frames(samples: np.ndarray, rate: int) -> np.ndarray:
    size, hop = int(FRAME_S * rate), int(HOP_S * rate)
    if samples.size < size:
        return np.empty((0, size))
    count = 1 + (samples.size - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return samples[index]


def _pitch(frames: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: (f0 in Hz, normalised autocorrelation peak) from one batched FFT."""
    size = frames.shape[1]
    window = np.hanning(size)
    centred = (frames - frames.mean(axis=1, keepdims=True)) * window
    n_fft = 1 << (2 * size - 1).bit_length()
    spectrum = np.fft.rfft(centred, n_fft)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), n_fft)[:, :size]
    # Divide out the window's own autocorrelation so long lags are not penalised.
    wspec = np.fft.rfft(window, n_fft)
    wacf = np.fft.irfft(wspec * np.conj(wspec), n_fft)[:size]
    acf = acf / np.maximum(wacf / wacf[0], 1e-3)
    energy = np.maximum(acf[:, 0], 1e-9)
    lo, hi = int(rate / PITCH_MAX_HZ), min(size - 2, int(rate / PITCH_MIN_HZ))
    band = acf[:, lo : hi + 1] / energy[:, None]
    best = band.argmax(axis=1)
    peak = band[np.arange(band.shape[0]), best]
    # Octave errors: a shorter lag with nearly the same peak is the true period.
    for divisor in (2, 3):
        short = np.round((best + lo) / divisor).astype(int) - lo
        ok = short >= 0
        short = np.clip(short, 0, band.shape[1] - 1)
        short_peak = band[np.arange(band.shape[0]), short]
        take = ok & (short_peak > 0.85 * peak)
        best = np.where(take, short, best)
        peak = np.where(take, short_peak, peak)
    # Parabolic interpolation around the peak for sub-sample lags.
    left = band[np.arange(band.shape[0]), np.clip(best - 1, 0, band.shape[1] - 1)]
    right = band[np.arange(band.shape[0]), np.clip(best + 1, 0, band.shape[1] - 1)]
    denom = left - 2 * peak + right
    safe = np.where(np.abs(denom) > 1e-9, denom, 1.0)
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / safe, 0.0)
    lag = best + lo + np.clip(shift, -1, 1)
    return rate / lag, peak


def _nuclei(energy_db: np.ndarray, voiced: np.ndarray, hop_s: float) -> int:
    """Count syllable nuclei: voiced energy peaks standing out from the dip before them."""
    smooth = np.convolve(energy_db, np.ones(3) / 3, mode="same")
    count, dip, last = 0, math.inf, -math.inf
    for i in range(1, smooth.size - 1):
        dip = min(dip, smooth[i])
        is_peak = smooth[i] >= smooth[i - 1] and smooth[i] > smooth[i + 1]
        if is_peak and voiced[i] and smooth[i] - dip >= NUCLEUS_DIP_DB:
            if (i - last) * hop_s >= NUCLEUS_MIN_GAP_S:
                count += 1
                last = i
            dip = smooth[i]
    return count


def voice_features(pcm: bytes, sample_rate: int = 8000) -> VoiceFeatures | None:
    """Prosody of one turn of 16-bit mono PCM; None when it holds too little voiced speech
    (silence, noise, a click). Never raises on odd lengths or clipped audio."""
    if sample_rate <= 0 or len(pcm) < 4:
        return None
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768
    frames = _frames(samples, sample_rate)
    if frames.shape[0] < 3:
        return None
    power = np.mean(frames**2, axis=1)
    energy_db = 10 * np.log10(np.maximum(power, 1e-12))
    speech = (energy_db > SPEECH_FLOOR_DB) & (energy_db > energy_db.max() - SPEECH_BELOW_PEAK_DB)
    if not speech.any():
        return None
    f0, peak = _pitch(frames, sample_rate)
    voiced = speech & (peak > VOICING_THRESHOLD)
    voiced_s = float(voiced.sum()) * HOP_S
    if voiced_s < MIN_VOICED_S:
        return None

    loudness = float(10 * np.log10(np.mean(power[speech])))
    pitch_hz: float | None = None
    pitch_range: float | None = None
    if voiced.sum() >= MIN_PITCH_FRAMES:
        pitches = f0[voiced]
        pitch_hz = float(np.median(pitches))
        p10, p90 = np.percentile(pitches, [10, 90])
        pitch_range = float(12 * np.log2(p90 / p10))
    speech_s = float(speech.sum()) * HOP_S
    rate = _nuclei(energy_db, voiced, HOP_S) / speech_s if speech_s > 0 else None
    return VoiceFeatures(
        loudness_db=round(loudness, 2),
        pitch_hz=None if pitch_hz is None else round(pitch_hz, 1),
        pitch_range_st=None if pitch_range is None else round(pitch_range, 2),
        speech_rate=None if rate is None else round(rate, 2),
        voiced_s=round(voiced_s, 2),
    )


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


# How big a change counts as fully "raised": dB of loudness, semitones of pitch and range,
# and a ratio of speaking rate. Roughly what separates calm from agitated speech.
_FULL_LOUDNESS_DB = 6.0
_FULL_PITCH_ST = 3.0
_FULL_RANGE_ST = 4.0
_FULL_RATE_RATIO = 0.25
# Loudness and pitch level are measured reliably turn to turn; pitch range and syllable rate
# depend on what was said (a short sentence has few syllables to count), so they weigh less.
_WEIGHTS = {"loudness": 0.35, "pitch": 0.35, "range": 0.1, "rate": 0.2}


def relative_arousal(
    turn: VoiceFeatures, earlier: Sequence[VoiceFeatures]
) -> tuple[float, tuple[str, ...]] | None:
    """How raised this turn is against the same caller's earlier turns, -1 (calmer) to 1
    (raised), and which features moved; None with no earlier turn to compare with."""
    if not earlier:
        return None
    parts: dict[str, float] = {}
    cues: list[str] = []
    base_loud = _median([f.loudness_db for f in earlier])
    if base_loud is not None:
        parts["loudness"] = (turn.loudness_db - base_loud) / _FULL_LOUDNESS_DB
        if parts["loudness"] >= 0.5:
            cues.append("louder")
    base_pitch = _median([f.pitch_hz for f in earlier])
    if turn.pitch_hz and base_pitch:
        parts["pitch"] = 12 * math.log2(turn.pitch_hz / base_pitch) / _FULL_PITCH_ST
        if parts["pitch"] >= 0.5:
            cues.append("higher_pitch")
    base_range = _median([f.pitch_range_st for f in earlier])
    if turn.pitch_range_st is not None and base_range is not None:
        parts["range"] = (turn.pitch_range_st - base_range) / _FULL_RANGE_ST
        if parts["range"] >= 0.5:
            cues.append("wider_pitch_range")
    base_rate = _median([f.speech_rate for f in earlier])
    if turn.speech_rate and base_rate:
        parts["rate"] = (turn.speech_rate / base_rate - 1) / _FULL_RATE_RATIO
        if parts["rate"] >= 0.5:
            cues.append("faster")
    if not parts:
        return None
    total = sum(_WEIGHTS[name] * max(-1.0, min(1.0, p)) for name, p in parts.items())
    return round(total / sum(_WEIGHTS[name] for name in parts), 3), tuple(cues)
