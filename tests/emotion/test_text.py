"""Words → label: call-centre cues, negation, sarcasm, profanity, junk input."""

from __future__ import annotations

import pytest

from voicebot.emotion import EmotionTracker, score_text


@pytest.mark.parametrize(
    ("text", "label", "cue"),
    [
        ("this is the third time I'm calling about my bill", "frustrated", "repeat_call"),
        ("I already told you my account number", "frustrated", "repeating_myself"),
        ("this is ridiculous", "angry", "outrage"),
        ("cancel my account", "angry", "cancel_account"),
        ("what the hell is this charge", "angry", "profanity"),
        ("I'm worried about the final notice", "anxious", "worry_word"),
        ("I don't understand my bill", "confused", "dont_understand"),
        ("pardon?", "confused", "bare_question"),
        ("thank you, that's perfect", "satisfied", "thanks"),
        ("oh great, another menu", "frustrated", "sarcasm"),
        ("thanks for nothing", "frustrated", "sarcasm"),
        ("I am not happy with this", "frustrated", "negated_praise"),
        ("that's not bad at all", "satisfied", "litotes"),
        ("I couldn't be happier, thanks", "satisfied", "litotes"),
        ("I'd like to check my balance please", "neutral", None),
        ("the whole thing is a shambles", "angry", "words_angry"),
        ("I'm dreading the next letter", "anxious", "words_anxious"),
        ("I'm at the end of my tether", "frustrated", "idiom_frustrated"),
        ("you said it would be fixed by Friday and it wasn't", "frustrated", "broken_promise"),
        ("good afternoon, I'd like to query a reading", "neutral", None),
        ("I'm not really sure what you need", "confused", "not_sure"),
    ],
)
def test_label_and_cue(text: str, label: str, cue: str | None) -> None:
    estimate = EmotionTracker().observe(text)
    assert estimate.label == label
    if cue is not None:
        assert cue in estimate.cues


@pytest.mark.parametrize(
    "text", ["I'm not worried, just checking", "it's not urgent", "I'm not angry, just curious"]
)
def test_negated_negative_feeling_is_not_that_feeling(text: str) -> None:
    estimate = EmotionTracker().observe(text)
    assert estimate.label == "neutral"


def test_cues_are_names_never_the_callers_words() -> None:
    text = "this is the third time I'm calling, account 4417, ridiculous"
    estimate = EmotionTracker().observe(text)
    assert estimate.cues
    assert all(cue.isidentifier() for cue in estimate.cues)
    assert not any("4417" in cue for cue in estimate.cues)


def test_shouting_and_intensifiers_raise_intensity() -> None:
    calm = EmotionTracker().observe("this is unacceptable")
    loud = EmotionTracker().observe("this is absolutely UNACCEPTABLE!!")
    assert calm.label == loud.label == "angry"
    assert loud.intensity > calm.intensity


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yes",
        "billing",
        "bonjour je voudrais payer ma facture",
        "quiero pagar mi bill",
        "voglio parlare con un operatore",
        "asdf qwer zxcv",
        "1234",
    ],
)
def test_bad_text_falls_back_to_neutral_with_low_confidence(text: str) -> None:
    estimate = EmotionTracker().observe(text)
    assert estimate.label == "neutral"
    assert estimate.intensity == 0.0
    assert estimate.confidence < 0.5
    assert not estimate.crisis


def test_non_string_text_does_not_raise() -> None:
    estimate = EmotionTracker().observe(None)  # type: ignore[arg-type]
    assert estimate.label == "neutral"
    assert score_text(None).confidence == 0.0  # type: ignore[arg-type]


def test_a_full_sentence_is_more_confident_than_one_word() -> None:
    one = EmotionTracker().observe("what?")
    full = EmotionTracker().observe("sorry, I don't understand what you mean")
    assert one.label == full.label == "confused"
    assert one.confidence < 0.5 <= full.confidence
