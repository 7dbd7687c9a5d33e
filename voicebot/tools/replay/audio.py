"""Caller audio for a turn: any recording → 8 kHz μ-law frames, or text synthesised once.

WAV goes through voicebot's own hardened reader; FLAC, MP3 and other formats through
libsndfile (the `soundfile` wheel bundles it). Raw `.ulaw`/`.raw`/`.mulaw` files are Twilio
captures: 8 kHz μ-law bytes sent as they are. Synthesised text is cached as a WAV keyed by
its text and settings, because espeak-ng jitters its voices at random: the first synthesis
is kept (and can be committed) so every later replay sends the same samples.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from voicebot.audio.codec import (
    TELEPHONE_RATE,
    normalise_peak,
    resample,
    split_frames,
    to_telephone,
    ulaw_decode,
)
from voicebot.audio.wavfile import read_wav, write_wav
from voicebot.exceptions import AudioFileError

REPO = Path(__file__).resolve().parents[3]
FIXTURES_DIR = REPO / "audio_fixtures"
SYNTH_CACHE = FIXTURES_DIR / "synth"
RAW_ULAW = {".ulaw", ".mulaw", ".raw", ".ul"}
REAL_SPEECH_VAR = "$REAL_SPEECH"


def real_speech_dir() -> Path:
    """The shared human recordings: VOICEBOT_REAL_SPEECH, else ../shared/audio/real_speech."""
    configured = os.environ.get("VOICEBOT_REAL_SPEECH")
    return Path(configured) if configured else REPO.parent / "shared" / "audio" / "real_speech"


class MissingRealSpeech(Exception):
    """The shared real-speech folder is absent: the scenario is skipped, not failed."""


def resolve(reference: str, base: Path) -> Path:
    if reference.startswith(REAL_SPEECH_VAR):
        folder = real_speech_dir()
        if not folder.is_dir():
            raise MissingRealSpeech(
                f"real speech folder {folder} is absent (the project's shared recordings, not "
                "in the repository: set VOICEBOT_REAL_SPEECH, see docs/testing.md)"
            )
        return folder / reference[len(REAL_SPEECH_VAR) :].lstrip("/")
    path = Path(reference)
    return path if path.is_absolute() else base / path


def read_audio(path: Path) -> tuple[bytes, int]:
    """Mono 16-bit PCM and its rate from WAV/FLAC/MP3/OGG/…; AudioFileError if unreadable."""
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    if path.suffix.lower() == ".wav":
        return read_wav(path)
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except Exception as exc:  # libsndfile's errors carry no stable type across versions
        raise AudioFileError(f"{path}: cannot decode ({exc})") from None
    mono = samples.mean(axis=1).astype("<i2") if samples.shape[1] > 1 else samples[:, 0]
    return np.ascontiguousarray(mono, dtype="<i2").tobytes(), int(rate)


def load_ulaw(path: Path) -> bytes:
    """The file as Twilio would deliver it: 8 kHz μ-law bytes."""
    if path.suffix.lower() in RAW_ULAW:
        if not path.is_file():
            raise AudioFileError(f"{path}: no such file")
        data = path.read_bytes()
    else:
        pcm, rate = read_audio(path)
        data = to_telephone(pcm, rate)
    if not data:
        raise AudioFileError(f"{path}: no audio in the file")
    return data


def load_frames(path: Path) -> list[bytes]:
    return split_frames(load_ulaw(path))


def synth_path(text: str, voice: str, rate: int, noise: float) -> Path:
    key = hashlib.sha256(f"{text}\0{voice}\0{rate}\0{noise:g}".encode()).hexdigest()[:16]
    slug = "_".join(text.lower().split())[:40]
    slug = "".join(c for c in slug if c.isalnum() or c == "_")
    return SYNTH_CACHE / f"{slug}-{key}.wav"


def synthesise(text: str, voice: str = "en-us", rate: int = 160, noise: float = 0.0) -> bytes:
    """Telephone-quality 8 kHz PCM of `text` (μ-law round trip, -3 dBFS peak, optional noise)."""
    from voicebot.speech.espeak import EspeakSynthesizer

    pcm, src_rate = EspeakSynthesizer().synthesize(text, voice=voice, rate=rate)
    narrow = normalise_peak(resample(pcm, src_rate, TELEPHONE_RATE))
    if noise > 0:
        narrow = add_noise(narrow, noise, seed_text=text)
    return ulaw_decode(to_telephone(narrow, TELEPHONE_RATE))


def add_noise(pcm16: bytes, noise: float, seed_text: str) -> bytes:
    """White noise of RMS `noise` (fraction of full scale), seeded by `seed_text` so the same
    request always gets the same hiss."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:4], "little")
    hiss = np.random.default_rng(seed).normal(0.0, noise * 32768, samples.size)
    return np.clip(samples + hiss, -32768, 32767).astype("<i2").tobytes()


def synth_frames(text: str, voice: str, rate: int, noise: float) -> list[bytes]:
    """The cached synthesis of `text` (made and stored on first use)."""
    path = synth_path(text, voice, rate, noise)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, synthesise(text, voice, rate, noise), TELEPHONE_RATE)
    return load_frames(path)


def telephone_ready(path: Path) -> str | None:
    """Why `path` is not ready to send down a phone line, or None when it is."""
    try:
        if path.suffix.lower() in RAW_ULAW:
            load_ulaw(path)
            return None
        pcm, rate = read_audio(path)
    except AudioFileError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if not pcm:
        return "no audio in the file"
    seconds = len(pcm) / 2 / rate
    if seconds > 60:
        return f"{seconds:.0f} s long; a caller turn over 60 s is not a phone utterance"
    peak = int(np.max(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))))
    if peak < 328:
        return f"near-silent (peak {20 * np.log10(max(peak, 1) / 32768):.0f} dBFS)"
    if rate < TELEPHONE_RATE:
        return f"sample rate {rate} Hz is below the telephone's 8000 Hz"
    return None
