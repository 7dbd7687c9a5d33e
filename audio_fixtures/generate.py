"""Regenerate the demo caller utterances in audio_fixtures/demo/ with espeak-ng.

Run `python audio_fixtures/generate.py`; each file is 8 kHz 16-bit mono PCM that has been
through a μ-law round trip, i.e. exactly what the bot would hear over Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicebot.audio.codec import (
    TELEPHONE_RATE,
    normalise_peak,
    resample,
    to_telephone,
    ulaw_decode,
)
from voicebot.audio.wavfile import write_wav
from voicebot.speech.espeak import EspeakSynthesizer

DEMO_DIR = Path(__file__).parent / "demo"
# Kept either side of the speech so onsets are not clipped; well under the 150 ms allowed,
# because the call simulator adds its own silence.
EDGE_MARGIN_S = 0.05
SPEECH_THRESHOLD = 0.02  # of the peak: below this counts as silence when trimming


@dataclass(frozen=True)
class Fixture:
    name: str
    text: str
    voice: str
    rate: int  # words per minute


# Varied voices and rates so recogniser tests do not overfit to one speaker.
FIXTURES = [
    Fixture("check_my_balance.wav", "check my balance", "en-us", 165),
    Fixture("report_an_outage.wav", "report an outage", "en-gb+f3", 150),
    # Free of six, seven and nine: the wideband en-us model mishears those in band-limited
    # espeak audio (see the README's known limits).
    Fixture(
        "account_number_spoken.wav", "two three four five three five eight three", "en-us+m3", 140
    ),
    Fixture("yes.wav", "yes", "en-gb", 175),
    Fixture("no.wav", "no", "en-us+f2", 160),
    Fixture("agent.wav", "agent", "en-us+m7", 150),
    Fixture("out_of_grammar.wav", "the weather is lovely in paris today", "en-gb+m3", 185),
    # An angry caller and a crisis: heard by the recogniser's feelings pass (speech/feelings.py).
    # ("this is ridiculous" would be the natural choice; espeak's "this is" decodes poorly.)
    Fixture("youre_useless.wav", "you're useless", "en-us+m3", 150),
    Fixture("cancel_my_account.wav", "i want to cancel my account", "en-us+m3", 170),
    Fixture("i_want_to_end_my_life.wav", "i want to end my life", "en-us+f2", 140),
    # A backchannel heard over the bot: it must not cut it off (pipeline/barge_in.py).
    Fixture("mm_hmm.wav", "mm hmm", "en-gb", 160),
]
COUGH = "cough.wav"
"""A synthetic 0.5 s cough: a decaying burst of buzz and noise, long and loud enough for the VAD
to hear a turn start, with no word in it."""


def _trim(pcm16: bytes, rate: int) -> bytes:
    samples = np.frombuffer(pcm16, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SPEECH_THRESHOLD * 32768)
    if loud.size == 0:
        raise ValueError("espeak-ng produced silence")
    margin = int(EDGE_MARGIN_S * rate)
    start, end = max(0, loud[0] - margin), min(samples.size, loud[-1] + 1 + margin)
    return samples[start:end].tobytes()


def render(fixture: Fixture, synthesizer: EspeakSynthesizer) -> bytes:
    """The fixture as 8 kHz PCM after a μ-law round trip."""
    pcm, rate = synthesizer.synthesize(fixture.text, voice=fixture.voice, rate=fixture.rate)
    # Normalise first so the trim threshold means the same for every voice.
    narrow = normalise_peak(resample(pcm, rate, TELEPHONE_RATE))
    return ulaw_decode(to_telephone(_trim(narrow, TELEPHONE_RATE), TELEPHONE_RATE))


def cough(secs: float = 0.5, pitch_hz: float = 150.0, noise: float = 0.5) -> bytes:
    """The cough as 8 kHz PCM after a μ-law round trip (seeded: the same bytes every run)."""
    rng = np.random.default_rng(1)
    t = np.arange(int(secs * TELEPHONE_RATE)) / TELEPHONE_RATE
    envelope = np.exp(-t / (secs / 3))
    attack = int(0.015 * TELEPHONE_RATE)
    envelope[:attack] *= np.linspace(0, 1, attack)
    buzz = 0.3 * np.sign(np.sin(2 * np.pi * pitch_hz * t)) + 0.3 * np.sin(4 * np.pi * pitch_hz * t)
    burst = np.convolve(buzz * (1 - noise) + rng.normal(size=t.size) * noise, [0.25, 0.5, 0.25])
    samples = burst[: t.size] * envelope
    pcm = (samples / np.abs(samples).max() * 0.7 * 32767).astype("<i2").tobytes()
    return ulaw_decode(to_telephone(pcm, TELEPHONE_RATE))


def main() -> None:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    synthesizer = EspeakSynthesizer()
    for fixture in FIXTURES:
        audio = render(fixture, synthesizer)
        write_wav(DEMO_DIR / fixture.name, audio, TELEPHONE_RATE)
        print(f"{fixture.name:28} {len(audio) / 2 / TELEPHONE_RATE:5.2f} s  {fixture.voice}")
    write_wav(DEMO_DIR / COUGH, cough(), TELEPHONE_RATE)


if __name__ == "__main__":
    main()
