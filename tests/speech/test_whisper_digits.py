"""When a turn at a digit slot is worth a digits-only second decode, and when its text is used."""

from __future__ import annotations

import pytest

from voicebot.dialogue.actions import SlotExpectation
from voicebot.speech.whisper_digits import fits_slot, needs_digits_decode

ACCOUNT = SlotExpectation("account", "digits", 8, 8)


@pytest.mark.parametrize(
    ("heard", "again"),
    [
        ("And I'm prefix M and one, zero, five, two.", True),  # 4 of 8 digits
        ("2, 2, I made 1, 4, 6, 0", True),  # 6
        ("1, 2, 3, 4, 5, 6, 7, 8, 9", True),  # one too many
        ("9, 3, 6, 7, 1, 0, 5, 2.", False),  # heard whole: not decoded twice
        ("I don't know my account number", False),  # words: a command or off-topic
        ("agent", False),
        ("I've got 2 of them", False),  # a stray number in a sentence
        ("", False),
    ],
)
def test_a_turn_is_decoded_again_only_when_it_holds_some_digits_but_not_the_number(
    heard: str, again: bool
) -> None:
    assert needs_digits_decode(heard, ACCOUNT) is again


def test_only_digit_slots_are_decoded_again() -> None:
    four = "one two three four"
    assert not needs_digits_decode(four, None)
    assert not needs_digits_decode(four, SlotExpectation("when", "date"))
    assert needs_digits_decode(four, ACCOUNT)
    assert not needs_digits_decode(four, SlotExpectation("pin", "digits", 4, 6))


def test_the_second_decode_is_used_only_when_it_is_a_number_of_the_slots_length() -> None:
    assert fits_slot("9, 3, 6, 7, 1, 0, 5, 2.", ACCOUNT)
    assert not fits_slot("9, 3, 6, 7, 1, 0, 5.", ACCOUNT)
    assert not fits_slot("1.5555555555", ACCOUNT)
    assert fits_slot("1 2 3 4", SlotExpectation("pin", "digits", 4, 6))
