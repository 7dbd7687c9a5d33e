"""Phrase matching against an expectation, then slot parsing."""

from __future__ import annotations

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.matcher import Match
from voicebot.dialogue.understanding import Interpretation, interpret, interpret_open
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


# -- open-vocabulary transcripts: the matcher's reading (computed by the shell) -----------

SURE_AGENT = Match("agent", 0.97, "phrase", "agent", 0.9, 0.5, sure=True)
UNSURE_BALANCE = Match("check_balance", 0.7, "semantic", "check_balance", 0.6, 0.3)
OFF_TOPIC = Match(None, 0.1, "none", "help", 0.2, 0.01)


def test_an_open_transcript_takes_the_matchers_intent_and_score() -> None:
    result = interpret_open("what do I owe", MENU, UNSURE_BALANCE)
    assert (result.intent, result.score, result.sure) == ("check_balance", 0.7, False)


def test_an_open_transcript_the_matcher_rejects_is_no_match() -> None:
    result = interpret_open("my dog ate my homework", MENU, OFF_TOPIC)
    assert (result.intent, result.slot_value, result.sure) == (None, None, False)


def test_whisper_digit_strings_are_read_with_their_homophones() -> None:
    assert interpret_open("4-1-7 to 0-9-3-8.", ACCOUNT, OFF_TOPIC).slot_value == "41720938"
    assert interpret_open("4, 1, 7, 2, 0, 9, 3, 8.", ACCOUNT, None).slot_value == "41720938"


def test_a_command_said_outright_beats_the_slot_but_a_vague_one_does_not() -> None:
    assert interpret_open("no, an agent please", YES_NO, SURE_AGENT).intent == "agent"
    vague = Match("help", 0.6, "semantic", "help", 0.6, 0.2)
    assert interpret_open("yes I need that", YES_NO, vague).slot_value == "yes"


def test_a_yes_no_answer_wins_over_a_command_word_inside_it() -> None:
    goodbye = Match("goodbye", 0.95, "phrase", "goodbye", 0.8, 0.5, sure=True)
    assert interpret_open("yep, bye, all of the time", YES_NO, goodbye).slot_value == "yes"
