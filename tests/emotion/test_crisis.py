"""The crisis detector: every crisis phrase, no hyperbole."""

from __future__ import annotations

import pytest

from voicebot.emotion import EmotionTracker, detect_crisis


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I want to kill myself", "self_harm"),
        ("I don't want to live anymore", "self_harm"),
        ("I've taken an overdose", "self_harm"),
        ("there's a fire in my house", "emergency"),
        ("someone is breaking into my house right now", "emergency"),
        ("my husband isn't breathing", "emergency"),
        ("I can smell gas", "emergency"),
        # What the embedded recogniser's feelings pass decodes must be understood too.
        ("there's a fire", "emergency"),
        ("someone is hurt", "emergency"),
        ("my son has been badly hurt", "emergency"),
        ("there's a lot of blood", "emergency"),
    ],
)
def test_crisis_kind(text: str, kind: str) -> None:
    assert detect_crisis(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "this bill is killing me",
        "I'd rather die than call again",
        "I want to end my contract",
        "the last bill nearly gave me a heart attack",
        "I need to update my emergency contact",
        "these prices are bleeding me dry",
        "we had a fire alarm test at work",
        "",
        "   ",
    ],
)
def test_hyperbole_and_admin_talk_are_not_a_crisis(text: str) -> None:
    assert detect_crisis(text) is None


def test_crisis_bypasses_everything_and_maxes_the_score() -> None:
    tracker = EmotionTracker()
    tracker.observe("thank you, that's lovely")
    estimate = tracker.observe("honestly I want to end my life")
    assert estimate.crisis
    assert estimate.crisis_kind == "self_harm"
    assert estimate.cues == ("crisis:self_harm",)
    assert estimate.score == 1.0
    assert estimate.confidence == 1.0
