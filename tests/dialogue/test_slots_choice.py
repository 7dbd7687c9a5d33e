"""Choosing one option from a list by name, synonym, position or keypad digit; free text."""

from __future__ import annotations

import pytest

from voicebot.dialogue.slots import parse_choice, parse_free_text

PAYMENT = (
    ("credit_card", ("card", "credit card", "debit card", "visa", "mastercard")),
    ("direct_debit", ("direct debit", "from my bank", "bank account")),
    ("cheque", ("check", "by post")),
)
COLOURS = (("red", ()), ("dark red", ("maroon",)), ("blue", ("navy",)))


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("card", "credit_card"),
        ("by card please", "credit_card"),
        ("my visa", "credit_card"),
        ("credit card", "credit_card"),
        ("credit_card", "credit_card"),  # the canonical value itself
        ("direct debit", "direct_debit"),
        ("take it from my bank account", "direct_debit"),
        ("I'll send a cheque", "cheque"),
        ("by post", "cheque"),
        ("the first one", "credit_card"),
        ("the second", "direct_debit"),
        ("number three", "cheque"),
        ("option 2", "direct_debit"),
        ("1", "credit_card"),
        ("3", "cheque"),
        ("two", "direct_debit"),
        ("the last one", "cheque"),
        ("Direct Debit.", "direct_debit"),
    ],
)
def test_parse_choice_finds_the_option_named(said: str, value: str) -> None:
    assert parse_choice(said, PAYMENT) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [("red", "red"), ("dark red", "dark red"), ("the dark red one", "dark red"), ("navy", "blue")],
)
def test_parse_choice_prefers_the_longest_phrase(said: str, value: str) -> None:
    assert parse_choice(said, COLOURS) == value


@pytest.mark.parametrize(
    "said",
    [
        "",
        "cash",
        "cardigan",  # whole words only
        "card or cheque",  # ties between two options: ask again
        "red or blue",
        "4",
        "the fifth one",
        "12",
    ],
)
def test_parse_choice_refuses_unknown_or_ambiguous_answers(said: str) -> None:
    options = COLOURS if "red" in said else PAYMENT
    assert parse_choice(said, options) is None


def test_parse_choice_without_options_finds_nothing() -> None:
    assert parse_choice("one", ()) is None


@pytest.mark.parametrize(
    ("said", "text"),
    [
        ("the lights keep flickering", "the lights keep flickering"),
        ("  um the   meter is broken ", "um the meter is broken"),
        ("Oh no, the power's out!", "Oh no, the power's out!"),
    ],
)
def test_parse_free_text_keeps_what_was_said(said: str, text: str) -> None:
    assert parse_free_text(said) == text


@pytest.mark.parametrize("said", ["", "   ", "um", "uh, er", "hmm...", "erm um"])
def test_parse_free_text_refuses_only_hesitation(said: str) -> None:
    assert parse_free_text(said) is None
