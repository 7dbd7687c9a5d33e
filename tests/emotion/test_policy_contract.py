"""The tracker's estimates drive the flow's emotion policy (voicebot.dialogue.emotion_policy):
a caller growing angrier is escalated by an "angry ≥ 0.7 on 2 turns" rule, not before."""

from __future__ import annotations

from voicebot.emotion import EmotionTracker
from voicebot.flows.emotion_policy import EmotionPolicy, EmotionPolicyState, EscalationRule

CALLER_GROWS_ANGRIER = [
    "I want to check my bill",
    "it's still wrong, this is the third time I'm calling",
    "this is ridiculous, I'm furious",
    "this is absolutely unacceptable, get me a manager now",
]


def test_escalation_rule_fires_on_the_second_strongly_angry_turn() -> None:
    rule = EscalationRule(emotion=["angry"], min_intensity=0.7, turns=2, queue="priority")
    policy = EmotionPolicyState(EmotionPolicy(escalate=[rule]))
    tracker = EmotionTracker()
    fired = [policy.observe(tracker.observe(turn)) for turn in CALLER_GROWS_ANGRIER]  # type: ignore[arg-type]
    assert fired[:3] == [None, None, None]
    assert fired[3] is rule
    assert [e.label for e in tracker.history] == ["neutral", "frustrated", "angry", "angry"]


def test_upset_callers_get_the_calmer_voice_style() -> None:
    policy = EmotionPolicyState(EmotionPolicy())
    tracker = EmotionTracker()
    policy.observe(tracker.observe("I'm really worried I'll be cut off"))  # type: ignore[arg-type]
    assert policy.style() == "anxious"
    policy.observe(tracker.observe("great, thank you, that's sorted"))  # type: ignore[arg-type]
    assert policy.style() == "neutral"
