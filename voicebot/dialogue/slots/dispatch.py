"""One entry point over every slot type: the engine parses any slot through `parse_slot`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from voicebot.dialogue.slots.choice import parse_choice
from voicebot.dialogue.slots.contact import parse_email, parse_phone, parse_postcode
from voicebot.dialogue.slots.dates import parse_date, parse_time
from voicebot.dialogue.slots.digits import parse_digits
from voicebot.dialogue.slots.free_text import parse_free_text
from voicebot.dialogue.slots.numbers import parse_currency, parse_number
from voicebot.dialogue.slots.yes_no import parse_yes_no
from voicebot.flows.slot_types import SLOT_TYPES


def parse_slot(
    slot_type: str,
    text: str,
    *,
    today: date,
    options: Sequence[tuple[str, Sequence[str]]] = (),
    currency: str = "GBP",
) -> str | None:
    """The canonical value of a `slot_type` slot in `text`, or None.

    yes_no gives "yes" or "no"; digits gives the digit string without checking its length
    (the slot's min/max length is the engine's to check). Raises ValueError for a type that
    does not exist.
    """
    if slot_type == "digits":
        return parse_digits(text)
    if slot_type == "yes_no":
        answer = parse_yes_no(text)
        return None if answer is None else ("yes" if answer else "no")
    if slot_type == "number":
        return parse_number(text)
    if slot_type == "currency":
        return parse_currency(text, currency)
    if slot_type == "date":
        return parse_date(text, today)
    if slot_type == "time":
        return parse_time(text)
    if slot_type == "choice":
        return parse_choice(text, options)
    if slot_type == "phone":
        return parse_phone(text)
    if slot_type == "email":
        return parse_email(text)
    if slot_type == "postcode":
        return parse_postcode(text)
    if slot_type == "free_text":
        return parse_free_text(text)
    raise ValueError(f"unknown slot type {slot_type!r}; expected one of {', '.join(SLOT_TYPES)}")
