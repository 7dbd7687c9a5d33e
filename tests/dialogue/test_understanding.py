"""Phrase matching against an expectation, then slot parsing."""

from __future__ import annotations

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.understanding import Interpretation, interpret
from voicebot.language.commands import GLOBAL_INTENTS

MENU = Expectation(
    node="greet",
    intents={"check_balance": ("check my balance", "balance"), **GLOBAL_INTENTS},
)
ACCOUNT = Expectation(
    node="collect_account",
    intents=dict(GLOBAL_INTENTS),
    slot=SlotExpectation("account_number", "digits", 8, 8),
)
YES_NO = Expectation(
    node="ask", intents=dict(GLOBAL_INTENTS), slot=SlotExpectation("more", "yes_no")
)


def test_exact_phrase_after_normalising() -> None:
    assert interpret("Check my balance!", MENU) == Interpretation(intent="check_balance")


def test_phrase_inside_a_longer_sentence() -> None:
    assert interpret("I'd like to check my balance please", MENU).intent == "check_balance"


def test_longest_phrase_wins() -> None:
    # "a person" and "balance" both occur; the longer phrase decides.
    assert interpret("balance? no, a real person", MENU).intent == "agent"


def test_partial_words_do_not_match() -> None:
    assert interpret("imbalanced", MENU) == Interpretation()


def test_global_commands() -> None:
    assert interpret("can I speak to someone", ACCOUNT).intent == "agent"
    assert interpret("say that again", ACCOUNT).intent == "repeat"
    assert interpret("bye", YES_NO).intent == "goodbye"


def test_digits_of_the_expected_length() -> None:
    spoken = "one two three four five six seven eight"
    assert interpret(spoken, ACCOUNT) == Interpretation(slot_value="12345678")


def test_digits_of_the_wrong_length_do_not_match() -> None:
    assert interpret("one two three", ACCOUNT) == Interpretation()


def test_yes_no_slot() -> None:
    assert interpret("yeah that's right", YES_NO) == Interpretation(slot_value="yes")
    assert interpret("nope", YES_NO) == Interpretation(slot_value="no")
    assert interpret("purple", YES_NO) == Interpretation()


def test_no_slot_expected_means_no_slot_value() -> None:
    assert interpret("yes", MENU) == Interpretation()
