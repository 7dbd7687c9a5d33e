"""Spoken digits, yes/no phrasings and telephone read-back."""

from __future__ import annotations

import pytest

from voicebot.dialogue.slots import chunk_digits, parse_digits, parse_yes_no


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("one two three", "123"),
        ("One, two, three.", "123"),
        ("zero zero seven", "007"),
        ("oh one two", "012"),
        ("o four", "04"),
        ("nought nine", "09"),
        ("double five", "55"),
        ("double oh seven", "007"),
        ("triple two one", "2221"),
        ("one double two three", "1223"),
        ("double 5 6", "556"),
        ("12345678", "12345678"),
        ("1234 5678", "12345678"),
        ("12-34-56", "123456"),
        ("it's one two three four five six seven eight", "12345678"),
        ("um my account number is four four one two", "4412"),
        ("twenty three", "23"),
        ("twenty", "20"),
        ("twenty-one", "21"),
        ("twelve thirty four", "1234"),
        ("nineteen eighty four", "1984"),
        ("seven eight nine", "789"),
        ("1234#", "1234"),  # keypad, with the terminating hash
    ],
)
def test_parse_digits_reads_spoken_numbers(spoken: str, digits: str) -> None:
    assert parse_digits(spoken) == digits


@pytest.mark.parametrize(
    "spoken",
    ["", "I don't know", "check my balance", "five hundred", "two thousand and one", "double"],
)
def test_parse_digits_refuses_what_it_cannot_read(spoken: str) -> None:
    assert parse_digits(spoken) is None


@pytest.mark.parametrize(
    "spoken",
    [
        "yes", "Yes.", "yeah", "yep", "yup", "correct", "that's correct", "that's right",
        "That is right", "right", "sure", "ok", "okay", "yes please", "absolutely",
        "of course", "uh huh", "yeah that's right", "yes it is", "go ahead",
        "spot on", "that's it", "perfect", "yes please do", "1", "true", "it does", "i did",
    ],
)  # fmt: skip
def test_parse_yes_no_yes(spoken: str) -> None:
    assert parse_yes_no(spoken) is True


@pytest.mark.parametrize(
    "spoken",
    [
        "no", "No.", "nope", "nah", "not right", "that's not right", "that is not right",
        "wrong", "that's wrong", "incorrect", "not correct", "no thanks", "no, nothing else",
        "nothing", "no that's right",  # the first decisive word wins
        "it's not", "not really",
        "no thank you", "not at all", "2", "false", "it doesn't", "i didn't", "that's a mistake",
    ],
)  # fmt: skip
def test_parse_yes_no_no(spoken: str) -> None:
    assert parse_yes_no(spoken) is False


@pytest.mark.parametrize(
    "spoken",
    [
        "", "hmm", "check my balance", "I'm not sure", "maybe", "I don't know", "perhaps",
        "i can't remember", "3", "12",
    ],
)  # fmt: skip
def test_parse_yes_no_undecided(spoken: str) -> None:
    assert parse_yes_no(spoken) is None


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [
        ("7", "7"),
        ("1234", "1 2 3 4"),
        ("12345", "1 2 3, 4 5"),
        ("123456", "1 2 3, 4 5 6"),
        ("1234567", "1 2 3 4, 5 6 7"),
        ("12345678", "1 2 3 4, 5 6 7 8"),
        ("1234567890", "1 2 3 4, 5 6 7, 8 9 0"),
    ],
)
def test_chunk_digits_groups_for_read_back(digits: str, spoken: str) -> None:
    assert chunk_digits(digits) == spoken
