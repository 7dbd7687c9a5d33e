"""Read-back for confirmation, the parse_slot dispatcher, and round trips through both."""

from __future__ import annotations

import re
from datetime import date

import pytest

from voicebot.dialogue.slots import SLOT_TYPES, parse_slot, read_back

TODAY = date(2026, 11, 21)
OPTIONS = (("credit_card", ("card",)), ("direct_debit", ("direct debit",)))

CANONICAL = [
    ("digits", "12345678"),
    ("digits", "007"),
    ("yes_no", "yes"),
    ("yes_no", "no"),
    ("number", "23"),
    ("number", "1250"),
    ("number", "2.5"),
    ("number", "-3"),
    ("number", "0"),
    ("currency", "23.50"),
    ("currency", "0.50"),
    ("currency", "1.00"),
    ("currency", "105.05"),
    ("currency", "1250.99"),
    ("date", "2027-03-05"),
    ("date", "2026-11-21"),
    ("date", "1984-07-04"),
    ("time", "15:30"),
    ("time", "09:05"),
    ("time", "12:00"),
    ("time", "00:00"),
    ("time", "00:30"),
    ("time", "23:59"),
    ("choice", "credit_card"),
    ("phone", "02079460018"),
    ("phone", "+447799123456"),
    ("email", "j.smith@example.com"),
    ("email", "mary-jones_2@mail.example.co.uk"),
    ("postcode", "SW1A 2AA"),
    ("postcode", "M1 1AA"),
    ("email", "a.b@example.com"),
    ("free_text", "the meter is broken"),
]


def parse(slot_type: str, text: str, currency: str = "GBP") -> str | None:
    return parse_slot(slot_type, text, today=TODAY, options=OPTIONS, currency=currency)


@pytest.mark.parametrize(("slot_type", "value"), CANONICAL)
def test_every_parser_takes_its_own_canonical_value(slot_type: str, value: str) -> None:
    assert parse(slot_type, value) == value


@pytest.mark.parametrize(("slot_type", "value"), CANONICAL)
def test_read_back_is_speakable_and_parses_back_to_the_value(slot_type: str, value: str) -> None:
    said = read_back(slot_type, value)
    assert re.fullmatch(r"[A-Za-z0-9 ,:.]+", said), said  # no symbols for the TTS to spell
    assert "." not in re.sub(r"\bA\.", "", said), said  # a dot only marks the letter "A."
    assert parse(slot_type, said) == value


@pytest.mark.parametrize(
    ("slot_type", "value", "said"),
    [
        ("digits", "12345678", "1 2 3 4, 5 6 7 8"),
        ("yes_no", "yes", "yes"),
        ("number", "-3", "minus 3"),
        ("number", "2.5", "2 point 5"),
        ("currency", "23.50", "23 pounds 50"),
        ("currency", "1.00", "1 pound"),
        ("currency", "0.50", "50 pence"),
        ("currency", "0.01", "1 penny"),
        ("currency", "5.05", "5 pounds and 5 pence"),
        ("date", "2027-03-05", "Friday the 5th of March 2027"),
        ("date", "2026-11-22", "Sunday the 22nd of November 2026"),
        ("time", "15:30", "3:30 PM"),
        ("time", "09:05", "9:05 AM"),
        ("time", "14:00", "2 PM"),
        ("time", "12:00", "12 noon"),
        ("time", "00:00", "midnight"),
        ("phone", "+447799123456", "plus 4 4 7 7, 9 9 1 2, 3 4 5 6"),
        ("phone", "02079460018", "0 2 0 7, 9 4 6 0, 0 1 8"),
        ("email", "j.smith@example.com", "j dot smith at example dot com"),
        ("email", "jo_2@x-y.org", "jo underscore 2 at x dash y dot org"),
        ("postcode", "SW1A 2AA", "S W 1 A., 2 A. A."),  # espeak says a lone "a" as "uh"
        ("postcode", "M1 1BD", "M 1, 1 B D"),
        ("email", "a.smith@example.com", "A. dot smith at example dot com"),
        ("choice", "credit_card", "credit card"),
        ("free_text", "the meter is broken", "the meter is broken"),
        ("date", "not a date", "not a date"),  # never silent, even on a bad value
    ],
)
def test_read_back_words_values_for_the_phone(slot_type: str, value: str, said: str) -> None:
    assert read_back(slot_type, value) == said


def test_read_back_says_dollars_and_cents_for_usd() -> None:
    assert read_back("currency", "23.50", currency="USD") == "23 dollars and 50 cents"
    assert read_back("currency", "0.01", currency="USD") == "1 cent"
    assert parse("currency", "23 dollars and 50 cents", currency="USD") == "23.50"


def test_read_back_leaves_out_the_year_of_a_date_in_the_coming_months() -> None:
    assert read_back("date", "2027-03-05", today=TODAY) == "Friday the 5th of March"
    assert read_back("date", "1984-07-04", today=TODAY) == "Wednesday the 4th of July 1984"
    assert parse_slot("date", "Friday the 5th of March", today=TODAY) == "2027-03-05"


@pytest.mark.parametrize(
    ("slot_type", "said", "value"),
    [
        ("digits", "one two three", "123"),
        ("yes_no", "yeah that's right", "yes"),
        ("yes_no", "nope", "no"),
        ("number", "twenty three", "23"),
        ("currency", "twenty three fifty", "23.50"),
        ("date", "tomorrow", "2026-11-22"),
        ("time", "half past three", "15:30"),
        ("choice", "by card", "credit_card"),
        ("phone", "oh two oh seven nine four six oh oh one eight", "02079460018"),
        ("email", "j dot smith at example dot com", "j.smith@example.com"),
        ("postcode", "s w one a two a a", "SW1A 2AA"),
        ("free_text", "my meter is broken", "my meter is broken"),
    ],
)
def test_parse_slot_dispatches_on_the_slot_type(slot_type: str, said: str, value: str) -> None:
    assert parse(slot_type, said) == value


@pytest.mark.parametrize("slot_type", SLOT_TYPES)
def test_parse_slot_finds_nothing_in_silence(slot_type: str) -> None:
    assert parse(slot_type, "") is None


def test_parse_slot_names_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown slot type 'colour'"):
        parse_slot("colour", "red", today=TODAY)
