"""The emotion detector's vocabulary: labels, one turn's voice features and behaviour, and the
estimate the tracker returns per caller turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Label = Literal["neutral", "frustrated", "angry", "anxious", "confused", "satisfied"]
LABELS: tuple[Label, ...] = get_args(Label)
# The labels that count towards the rolling negative-affect score and escalation.
NEGATIVE: frozenset[Label] = frozenset({"frustrated", "angry", "anxious"})


@dataclass(frozen=True)
class VoiceFeatures:
    """One caller turn measured from 8 kHz PCM16 (see `voice.voice_features`)."""

    loudness_db: float
    """Mean power of the speech frames in dBFS (0 = full scale; telephone speech ~ -20)."""
    pitch_hz: float | None
    """Median fundamental frequency of the voiced frames; None when too few are voiced."""
    pitch_range_st: float | None
    """Spread of the pitch in semitones (10th to 90th percentile); None when unvoiced."""
    speech_rate: float | None
    """Syllable nuclei (energy peaks in voiced speech) per second of speech, pauses excluded."""
    voiced_s: float
    """Seconds of voiced (pitched) speech the other figures rest on."""


@dataclass(frozen=True)
class TurnSignals:
    """Behaviour the dialogue engine knows about this turn."""

    no_match: bool = False
    no_input: bool = False
    repeated: bool = False
    """The engine's own judgement that the caller repeated themselves; the tracker also
    compares each transcript with the previous ones, so this may be left False."""
    pressed_zero: bool = False
    barged_in: bool = False


@dataclass(frozen=True)
class EmotionEstimate:
    label: Label
    intensity: float
    """How strong the label is, 0..1 (0 for a neutral turn)."""
    confidence: float
    """0..1; low for silence, one-word turns, non-English or empty transcripts."""
    score: float
    """The call's rolling negative-affect score 0..1 after this turn."""
    crisis: bool
    cues: tuple[str, ...]
    """Names of the cues that fired (never the caller's words), e.g. `repeat_call`,
    `profanity`, `raised_voice`, `no_match_streak`, `crisis:self_harm`."""
    crisis_kind: str | None = None
    arousal: float | None = None
    """Voice arousal relative to this caller's earlier turns, -1..1; None without a baseline."""

    def as_record(self) -> dict[str, object]:
        """The estimate as plain JSON-able data for the call record and the hand-off packet
        (cue names only: nothing the caller said)."""
        record: dict[str, object] = {
            "label": self.label,
            "intensity": self.intensity,
            "confidence": self.confidence,
            "score": self.score,
            "crisis": self.crisis,
            "cues": list(self.cues),
        }
        if self.crisis_kind is not None:
            record["crisis_kind"] = self.crisis_kind
        if self.arousal is not None:
            record["arousal"] = self.arousal
        return record
