"""Apologies synthesised once at start-up, so they play even when the TTS is what failed.

The dialogue processor pushes these PCM bytes straight to the transport as audio frames; the
fault apology is served to Twilio as a WAV instead (docs/handoff.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from voicebot.audio.codec import normalise_peak, resample
from voicebot.language.wording import APOLOGY, HOLD, TRANSFER_FAILED, WAIT
from voicebot.speech.espeak import EspeakSynthesizer

PEAK_DBFS = -3.0
TELEPHONE_RATE = 8000


@dataclass(frozen=True)
class Apologies:
    """16-bit mono PCM at `sample_rate`."""

    hold: bytes
    """Fills a slow transfer so the caller never hears more than 2 s of silence."""
    failed: bytes
    """Said when the REST transfer failed; the after-stream route still queues the caller."""
    fault: bytes
    """The engine's backend-fault apology: Twilio fetches it (`/twilio/audio/fault-apology.wav`)
    for the `<Play>` at the head of a fault transfer's TwiML."""
    wait: bytes = b""
    """Fills a backend wait (a webhook slower than ~1 s): "one moment while I look that up"."""
    sample_rate: int = TELEPHONE_RATE


def render(text: str, voice: str = "en-us", sample_rate: int = TELEPHONE_RATE) -> bytes:
    pcm, source_rate = EspeakSynthesizer().synthesize(text, voice=voice, rate=None, pitch=None)
    return normalise_peak(resample(pcm, source_rate, sample_rate), PEAK_DBFS)


@cache
def apologies(voice: str = "en-us", sample_rate: int = TELEPHONE_RATE) -> Apologies:
    """Rendered on first use per voice (the server calls it at start-up) and kept."""
    return Apologies(
        hold=render(HOLD, voice, sample_rate),
        failed=render(TRANSFER_FAILED, voice, sample_rate),
        fault=render(APOLOGY["backend_fault"], voice, sample_rate),
        wait=render(WAIT, voice, sample_rate),
        sample_rate=sample_rate,
    )
