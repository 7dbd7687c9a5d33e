"""`voicebot fixtures synth|check`: make telephone-quality caller audio, and vet a library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicebot.audio.codec import TELEPHONE_RATE
from voicebot.audio.wavfile import write_wav
from voicebot.exceptions import ConfigError, SpeechError
from voicebot.tools.replay import audio
from voicebot.tools.replay.model import ScenarioError, find_scenarios, load_scenario

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", *audio.RAW_ULAW}


def synth(
    text: str, output: Path, voice: str = "en-us", rate: int = 160, noise: float = 0.0
) -> float:
    """Write `text` as an 8 kHz μ-law-round-tripped WAV; returns its length in seconds."""
    if not 0 <= noise <= 0.5:
        raise ConfigError(f"noise must be 0-0.5 (RMS as a fraction of full scale), not {noise}")
    try:
        pcm = audio.synthesise(text, voice, rate, noise)
    except (SpeechError, ValueError) as exc:
        raise ConfigError(f"cannot synthesise: {exc}") from None
    output.parent.mkdir(parents=True, exist_ok=True)
    write_wav(output, pcm, TELEPHONE_RATE)
    return len(pcm) / 2 / TELEPHONE_RATE


@dataclass
class Finding:
    where: str
    problem: str | None
    """None: the file is fine."""

    def __str__(self) -> str:
        return f"{self.where}: {'ok' if self.problem is None else self.problem}"


def check(paths: list[Path]) -> list[Finding]:
    """Every audio file a scenario refers to (or named directly): exists, decodes, phone-ready."""
    findings: list[Finding] = []
    for path in paths:
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:
            findings.append(Finding(str(path), audio.telephone_ready(path)))
            continue
        for file in find_scenarios([path]):
            try:
                loaded = load_scenario(file)
            except ScenarioError as exc:
                findings.append(Finding(str(file), str(exc).removeprefix(f"{file}: ")))
                continue
            for index, turn in enumerate(loaded.scenario.turns, 1):
                where = f"{file}: turn {index}"
                if turn.audio is not None:
                    try:
                        target = audio.resolve(turn.audio, file.parent)
                    except audio.MissingRealSpeech as exc:
                        findings.append(Finding(f"{where}: {turn.audio}", f"skipped ({exc})"))
                        continue
                    findings.append(Finding(f"{where}: {target}", audio.telephone_ready(target)))
                elif turn.say is not None:
                    cached = audio.synth_path(turn.say, turn.voice, turn.rate, turn.noise)
                    problem = audio.telephone_ready(cached) if cached.exists() else None
                    findings.append(Finding(f"{where}: say {turn.say!r} ({cached.name})", problem))
                elif turn.capture is not None:
                    target = file.parent / turn.capture
                    exists = target.is_file()
                    findings.append(
                        Finding(f"{where}: {target}", None if exists else "no such file")
                    )
    return findings


def is_bad(finding: Finding) -> bool:
    return finding.problem is not None and not finding.problem.startswith("skipped")
