"""Emotion evidence from what the caller does rather than says: repeated no-matches, saying
the same thing again, pressing 0 again and again, barging in on every prompt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from voicebot.emotion.labels import Label, TurnSignals

RECENT_TURNS = 4  # behaviour older than this many turns no longer counts
SAME_TEXT_RATIO = 0.8  # two transcripts at least this similar are the caller repeating


@dataclass(frozen=True)
class BehaviourEvidence:
    evidence: dict[Label, float]
    cues: tuple[str, ...]


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def repeats_earlier(text: str, earlier_texts: Sequence[str]) -> bool:
    """The caller said (nearly) the same as in one of their last two non-empty turns."""
    current = _words(text)
    if not current:
        return False
    recent = [_words(t) for t in earlier_texts if t.strip()][-2:]
    return any(SequenceMatcher(None, current, old).ratio() >= SAME_TEXT_RATIO for old in recent)


def score_behaviour(
    signals: TurnSignals, earlier: Sequence[TurnSignals], repeated_text: bool
) -> BehaviourEvidence:
    """Evidence from this turn's signals together with the previous few turns'."""
    recent = [*list(earlier)[-(RECENT_TURNS - 1) :], signals]
    evidence: dict[Label, float] = {}
    cues: list[str] = []

    def add(label: Label, weight: float, cue: str) -> None:
        evidence[label] = evidence.get(label, 0.0) + weight
        cues.append(cue)

    streak = 0
    for turn in reversed(recent):
        if not (turn.no_match or turn.no_input):
            break
        streak += 1
    if signals.no_match and streak == 1:
        add("confused", 0.6, "no_match")  # one miss: probably unsure what to say
    elif streak >= 2:
        add("frustrated", 0.6 * streak, "no_match_streak")
    if signals.repeated or repeated_text:
        add("frustrated", 1.0, "repeated")
    zeros = sum(t.pressed_zero for t in recent)
    if signals.pressed_zero and zeros >= 2:
        add("frustrated", 0.6 * zeros, "pressed_zero_again")
    elif signals.pressed_zero:
        add("frustrated", 0.3, "pressed_zero")
    barges = sum(t.barged_in for t in recent)
    if signals.barged_in and barges >= 3:
        add("frustrated", 0.8, "barges_in_every_prompt")
    return BehaviourEvidence(evidence, tuple(cues))
