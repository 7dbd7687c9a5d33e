"""Numbers and money amounts in the many ways callers say and type them."""

from __future__ import annotations

import pytest

from voicebot.dialogue.slots import parse_currency, parse_number


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("twenty three", "23"),
        ("23", "23"),
        ("one thousand two hundred and fifty", "1250"),
        ("twelve hundred and fifty", "1250"),
        ("1,250", "1250"),
        ("a hundred", "100"),
        ("a thousand", "1000"),
        ("three hundred and twelve", "312"),
        ("three hundred twelve", "312"),
        ("two point five", "2.5"),
        ("2.5", "2.5"),
        ("point five", "0.5"),
        ("half", "0.5"),
        ("a half", "0.5"),
        ("one and a half", "1.5"),
        ("two point two five", "2.25"),
        ("zero", "0"),
        ("minus three", "-3"),
        ("-3", "-3"),
        ("negative seven", "-7"),
        ("two million", "2000000"),
        ("two thousand and one", "2001"),
        ("ten thousand five hundred", "10500"),
        ("it's about forty two", "42"),
        ("um, seventeen please", "17"),
        ("one two five", "125"),  # digit by digit
        ("one oh five", "105"),
        ("oh twenty three", "23"),  # "oh" on its own is an interjection
        ("nineteen", "19"),
        ("ninety nine", "99"),
        ("2*5", "2.5"),  # keypad: star is the decimal point
        ("2.50", "2.5"),
        ("123456789012345678", "123456789012345678"),  # long, yet not rounded
    ],
)
def test_parse_number_reads_spoken_numbers(said: str, number: str) -> None:
    assert parse_number(said) == number


@pytest.mark.parametrize(
    "said",
    [
        "",
        "none",
        "lots",
        "twenty three fifty",
        "five and six",
        "hundred",
        "thousand",
        "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9",  # longer than any number anyone says
        "1234567890123456789",
    ],
)
def test_parse_number_refuses_no_or_ambiguous_numbers(said: str) -> None:
    assert parse_number(said) is None


@pytest.mark.parametrize(
    ("said", "amount"),
    [
        ("twenty three fifty", "23.50"),
        ("twenty three pounds fifty", "23.50"),
        ("twenty three pounds and fifty pence", "23.50"),
        ("twenty three pound fifty p", "23.50"),
        ("£23.50", "23.50"),
        ("23.50", "23.50"),
        ("23.5", "23.50"),
        ("fifty pence", "0.50"),
        ("50p", "0.50"),
        ("one penny", "0.01"),
        ("a hundred and five pounds", "105.00"),
        ("23 pounds", "23.00"),
        ("twenty three quid", "23.00"),
        ("twenty three", "23.00"),
        ("£1,250", "1250.00"),
        ("one thousand two hundred and fifty pounds", "1250.00"),
        ("five oh five", "5.05"),
        ("five pounds oh five", "5.05"),
        ("twelve 50", "12.50"),
        ("two fifty", "2.50"),
        ("I'd like to pay forty pounds please", "40.00"),
        ("nine ninety nine", "9.99"),
        ("fifteen hundred pounds", "1500.00"),
        ("zero", "0.00"),
        ("23*50", "23.50"),  # keypad
        ("23#", "23.00"),
    ],
)
def test_parse_currency_reads_pounds_and_pence(said: str, amount: str) -> None:
    assert parse_currency(said) == amount


@pytest.mark.parametrize(
    ("said", "amount"),
    [
        ("twenty three dollars and fifty cents", "23.50"),
        ("$23.50", "23.50"),
        ("fifty cents", "0.50"),
        ("ten bucks", "10.00"),
        ("twenty three fifty", "23.50"),
    ],
)
def test_parse_currency_reads_dollars_and_cents(said: str, amount: str) -> None:
    assert parse_currency(said, currency="USD") == amount


@pytest.mark.parametrize(
    "said",
    [
        "",
        "some money",
        "twenty three dollars",  # not this slot's currency
        "$5",
        "fifty cents",
        "twenty three five",  # pence are said as two digits
        "twenty three fifty five pounds",
        "twenty pounds thirty pounds",
        "fifty pence twenty",
        "23.505",
        "minus five pounds",
        "one two three",
        "twenty pounds a hundred and fifty",
    ],
)
def test_parse_currency_refuses_what_is_not_one_amount(said: str) -> None:
    assert parse_currency(said) is None
