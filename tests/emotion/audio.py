"""Telephone-encoded espeak-ng speech for the voice tests (8 kHz PCM after a μ-law trip)."""

from __future__ import annotations

from functools import cache

from voicebot.audio.codec import TELEPHONE_RATE, normalise_peak, resample, to_telephone, ulaw_decode
from voicebot.speech.espeak import EspeakSynthesizer


@cache
def spoken(
    text: str, voice: str = "en-us", rate: int = 160, pitch: int = 45, peak_db: float = -12.0
) -> bytes:
    synth = EspeakSynthesizer()
    pcm, src = synth.synthesize(text, voice=voice, rate=rate, pitch=pitch)
    narrow = normalise_peak(resample(pcm, src, TELEPHONE_RATE), peak_db)
    return ulaw_decode(to_telephone(narrow, TELEPHONE_RATE))
