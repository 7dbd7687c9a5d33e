"""The per-call tracker: rolling score, behaviour, repetition, history."""

from __future__ import annotations

from voicebot.emotion import EmotionTracker, TurnSignals


def test_a_caller_growing_angrier_raises_the_rolling_score() -> None:
    tracker = EmotionTracker()
    turns = [
        "I'd like to check my balance",
        "it's still not working",
        "this is ridiculous",
        "this is absolutely unacceptable, cancel my account right now",
    ]
    estimates = [tracker.observe(t) for t in turns]
    assert [e.label for e in estimates] == ["neutral", "frustrated", "angry", "angry"]
    scores = [e.score for e in estimates]
    assert scores == sorted(scores) and scores[0] == 0.0 < scores[-1]
    assert estimates[-1].intensity >= 0.7
    assert tracker.history == estimates


def test_satisfaction_brings_the_score_down_faster_than_a_neutral_turn() -> None:
    def after(last: str) -> float:
        tracker = EmotionTracker()
        tracker.observe("this is ridiculous")
        tracker.observe("I'm furious")
        return tracker.observe(last).score

    peak = EmotionTracker()
    peak.observe("this is ridiculous")
    top = peak.observe("I'm furious").score
    assert after("thank you so much, that's sorted it") < after("yes") < top


def test_repeated_no_matches_become_frustration() -> None:
    tracker = EmotionTracker()
    first = tracker.observe("", signals=TurnSignals(no_match=True))
    second = tracker.observe("", signals=TurnSignals(no_match=True))
    third = tracker.observe("", signals=TurnSignals(no_match=True))
    assert first.label == "neutral" or first.label == "confused"
    assert second.label == third.label == "frustrated"
    assert "no_match_streak" in third.cues
    assert third.intensity > second.intensity


def test_pressing_zero_again_and_again() -> None:
    tracker = EmotionTracker()
    tracker.observe("", signals=TurnSignals(pressed_zero=True))
    estimate = tracker.observe("", signals=TurnSignals(pressed_zero=True))
    assert estimate.label == "frustrated"
    assert "pressed_zero_again" in estimate.cues


def test_barging_in_on_every_prompt() -> None:
    tracker = EmotionTracker()
    for _ in range(2):
        tracker.observe("billing please", signals=TurnSignals(barged_in=True))
    estimate = tracker.observe("billing please", signals=TurnSignals(barged_in=True))
    assert "barges_in_every_prompt" in estimate.cues
    assert estimate.label == "frustrated"


def test_the_tracker_notices_the_caller_repeating_themselves() -> None:
    tracker = EmotionTracker()
    tracker.observe("I want to pay my bill")
    estimate = tracker.observe("I want to pay my bill")
    assert "repeated" in estimate.cues
    assert estimate.label == "frustrated"


def test_one_word_answers_to_different_questions_are_not_repetition() -> None:
    tracker = EmotionTracker()
    tracker.observe("yes")
    estimate = tracker.observe("yes")
    assert "repeated" not in estimate.cues
    assert estimate.label == "neutral"


def test_the_engine_can_flag_repetition_itself() -> None:
    estimate = EmotionTracker().observe("balance", signals=TurnSignals(repeated=True))
    assert "repeated" in estimate.cues


def test_empty_transcript_without_behaviour_is_neutral_with_no_confidence() -> None:
    estimate = EmotionTracker().observe("", signals=TurnSignals(no_input=True))
    assert estimate.label == "neutral"
    assert estimate.confidence < 0.5


def test_the_record_is_plain_data_without_the_callers_words() -> None:
    tracker = EmotionTracker()
    record = tracker.observe("account 4417 and this is the third time I'm calling").as_record()
    assert record["label"] == "frustrated"
    assert record["cues"] == ["repeat_call"]
    assert "4417" not in repr(record)
    assert set(record) == {"label", "intensity", "confidence", "score", "crisis", "cues"}
    crisis = tracker.observe("there's a fire in my house").as_record()
    assert crisis["crisis"] is True and crisis["crisis_kind"] == "emergency"
