"""The grammar compiler: JSGF for menus, digit slots and yes/no, checked by pocketsphinx itself."""

from __future__ import annotations

import pocketsphinx
import pytest

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.language.pronunciation import normalize_phrase
from voicebot.speech.grammar import compile_jsgf, missing_words

MENU = Expectation(
    node="main_menu",
    intents={
        "check_balance": ("Check my balance!", "What's my balance?"),
        "outage": ("Report an outage", "My power is out."),
        "agent": ("agent", "speak to a person"),
    },
)
ACCOUNT = Expectation(
    node="collect_account",
    intents={"agent": ("agent",)},
    slot=SlotExpectation(name="account_number", type="digits", min_length=8, max_length=8),
)
PIN = Expectation(
    node="pin", slot=SlotExpectation(name="pin", type="digits", min_length=4, max_length=6)
)
CONFIRM = Expectation(node="confirm", slot=SlotExpectation(name="ok", type="yes_no"))


@pytest.fixture(scope="module")
def decoder() -> pocketsphinx.Decoder:
    return pocketsphinx.Decoder(lm=None, logfn="/dev/null")


def accepts(decoder: pocketsphinx.Decoder, jsgf: str, sentence: str) -> bool:
    """Compile the JSGF as the recogniser will and ask its FSG whether it takes `sentence`."""
    fsg = decoder.parse_jsgf(jsgf)
    return bool(fsg.accept(sentence))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Check my balance!", "check my balance"),
        ("What's my balance?", "what's my balance"),
        ("Press 1 for sales", "press one for sales"),
        ("open 24 hours", "open twenty four hours"),
        ("call 0800 now", "call zero eight zero zero now"),
        ("room 101", "room one hundred one"),
        ("AT&T", "at and t"),
        ("pay-as-you-go", "pay as you go"),
        ("It\u2019s late", "it's late"),
    ],
)
def test_phrases_are_normalised_as_the_dictionary_spells_them(phrase: str, expected: str) -> None:
    assert normalize_phrase(phrase) == expected


def test_menu_grammar_takes_every_phrase_and_nothing_else(decoder: pocketsphinx.Decoder) -> None:
    jsgf = compile_jsgf(MENU)
    for sentence in ("check my balance", "what's my balance", "report an outage", "agent"):
        assert accepts(decoder, jsgf, sentence), sentence
    for sentence in ("check my", "balance", "agent agent", "yes", "one"):
        assert not accepts(decoder, jsgf, sentence), sentence


def test_digit_grammar_takes_exactly_the_slot_length(decoder: pocketsphinx.Decoder) -> None:
    jsgf = compile_jsgf(ACCOUNT)
    assert accepts(decoder, jsgf, "one two three four five six seven eight")
    assert accepts(decoder, jsgf, "oh eight zero nine nine one two three")
    assert accepts(decoder, jsgf, "agent")  # global commands stay available while collecting
    assert not accepts(decoder, jsgf, "one two three four five six seven")
    assert not accepts(decoder, jsgf, "one two three four five six seven eight nine")


def test_short_codes_also_take_double_digits(decoder: pocketsphinx.Decoder) -> None:
    jsgf = compile_jsgf(PIN)
    assert accepts(decoder, jsgf, "one double two three")  # four digits
    assert accepts(decoder, jsgf, "double five double five double five")  # six digits
    assert accepts(decoder, jsgf, "one two three four five")
    assert not accepts(decoder, jsgf, "double five one")  # three digits
    assert not accepts(decoder, jsgf, "one two three four five six seven")


def test_yes_no_grammar_takes_many_phrasings(decoder: pocketsphinx.Decoder) -> None:
    jsgf = compile_jsgf(CONFIRM)
    for sentence in ("yes", "yeah", "yep", "correct", "that's right", "no", "nope", "not right"):
        assert accepts(decoder, jsgf, sentence), sentence
    assert not accepts(decoder, jsgf, "maybe")


def test_a_node_that_expects_no_speech_has_no_grammar() -> None:
    with pytest.raises(ValueError, match="'dtmf_only' expects no speech"):
        compile_jsgf(Expectation(node="dtmf_only"))


def test_words_missing_from_the_dictionary_are_found() -> None:
    expect = Expectation(node="menu", intents={"brand": ("talk to Zorblaxian support", "billing")})
    assert missing_words(expect) == {"zorblaxian"}
    assert missing_words(MENU) == set()
    assert missing_words(ACCOUNT) == set()
    assert missing_words(CONFIRM) == set()


def test_missing_words_can_check_another_dictionary() -> None:
    assert missing_words(CONFIRM, dictionary={"yes", "no"}) >= {"yeah", "that's", "right"}
