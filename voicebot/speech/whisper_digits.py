"""A second decode, digits only, for a turn at a digit slot that whisper heard partly as words.

Whisper writes what a spoken digit string sounds like when it is unsure of it: "nine three
six seven one zero five two" came back "And I'm prefix M and one, zero, five, two." (4 of 8
digits). Decoded again with every token but digits and their separators suppressed, the same
audio gave "9, 3, 6, 7, 1, 0, 5, 2." The second decode runs on the first one's encoding
(`whisper_model.ReusingWhisperModel`; the encoder is the dearer half of a short turn), so it
costs one decoder pass: 110-200 ms for an 8-digit turn on tiny.en on this 2-core machine.

It runs only when the first transcript holds some digits but not a number of the slot's length
(`needs_digits_decode`), and its text is used only when it is such a number
(`fits_slot`): a command ("agent") or off-topic speech at the node is still heard as
words, and a number that was heard whole is not decoded twice. The read-back of the number
(always, for account numbers) is the caller's check on what came back.
"""

from __future__ import annotations

from voicebot.dialogue.actions import SlotExpectation
from voicebot.dialogue.slots.digits import parse_digits

MIN_DIGITS_HEARD = 3
"""Digits the first transcript must hold before the turn is decoded again as digits. Off-topic
speech at the account-number node (bench/understanding.py held-out turns) was heard with at
most 2 ("1", "31", "10"); digit strings heard partly as words kept 4-7."""


def needs_digits_decode(text: str, slot: SlotExpectation | None) -> bool:
    """Whether a turn at `slot` heard as `text` is worth decoding again as digits only."""
    if slot is None or slot.type != "digits":
        return False
    heard = len(parse_digits(text) or "")
    return heard >= MIN_DIGITS_HEARD and not slot.min_length <= heard <= slot.max_length


def fits_slot(text: str, slot: SlotExpectation) -> bool:
    """Whether `text` is a number of the slot's length."""
    return slot.min_length <= len(parse_digits(text) or "") <= slot.max_length
