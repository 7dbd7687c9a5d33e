"""What the bot says to confirm a slot value: canonical values worded for a caller to check
over the phone (digits in short groups, money in pounds and pence, dates with the weekday).
"""

from __future__ import annotations

from datetime import date

from voicebot.dialogue.slots.digits import chunk_digits
from voicebot.language.words import MONTHS, WEEKDAYS

_MONEY_WORDS = {
    # currency: (major singular, major plural, minor singular, minor plural, joiner)
    "GBP": ("pound", "pounds", "penny", "pence", " "),
    "USD": ("dollar", "dollars", "cent", "cents", " and "),
    "EUR": ("euro", "euros", "cent", "cents", " and "),
}
_EMAIL_SYMBOLS = {".": " dot ", "@": " at ", "_": " underscore ", "-": " dash ", "+": " plus "}


def read_back(
    slot_type: str, value: str, *, currency: str = "GBP", today: date | None = None
) -> str:
    """`value` (canonical, as the slot's parser returns it) worded for text-to-speech.

    Dates name the weekday and the year; given `today`, a date in the coming year leaves the
    year out ("Tuesday the 5th of March"). A value that is not canonical is said as it is.
    """
    try:
        if slot_type in ("digits",):
            return chunk_digits(value)
        if slot_type == "phone":
            return _phone(value)
        if slot_type == "currency":
            return _money(value, currency.upper())
        if slot_type == "number":
            return value.replace("-", "minus ").replace(".", " point ")
        if slot_type == "date":
            return _date(date.fromisoformat(value), today)
        if slot_type == "time":
            return _time(value)
        if slot_type == "email":
            return _email(value)
        if slot_type == "postcode" and " " in value:
            outward, _, inward = value.partition(" ")
            return f"{_spell(outward)}, {_spell(inward)}"
        if slot_type == "choice":
            return value.replace("_", " ")
    except ValueError:
        pass  # not canonical after all: saying it as it is beats saying nothing
    return value


def _phone(value: str) -> str:
    if value.startswith("+"):
        return "plus " + chunk_digits(value[1:])
    return chunk_digits(value)


def _money(value: str, currency: str) -> str:
    major_one, major_many, minor_one, minor_many, joiner = _MONEY_WORDS.get(
        currency, ("", currency, "", "hundredths", " and ")
    )
    whole, _, fraction = value.partition(".")
    units, cents = int(whole), int(fraction or "0")
    if units == 0 and cents:
        return f"{cents} {minor_one if cents == 1 else minor_many}"
    said = f"{units} {major_one if units == 1 else major_many}"
    if not cents:
        return said
    if currency == "GBP":
        return f"{said} {cents:02d}" if cents >= 10 else f"{said} and {cents} pence"
    return f"{said}{joiner}{cents} {minor_one if cents == 1 else minor_many}"


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date(when: date, today: date | None) -> str:
    weekday, month = WEEKDAYS[when.weekday()].title(), MONTHS[when.month - 1].title()
    said = f"{weekday} the {_ordinal(when.day)} of {month}"
    if today is not None and 0 <= (when - today).days < 300:
        return said
    return f"{said} {when.year}"


def _time(value: str) -> str:
    hour, minute = (int(part) for part in value.split(":"))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(value)
    if (hour, minute) == (12, 0):
        return "12 noon"
    if (hour, minute) == (0, 0):
        return "midnight"
    suffix = "AM" if hour < 12 else "PM"
    shown = hour % 12 or 12
    return f"{shown} {suffix}" if minute == 0 else f"{shown}:{minute:02d} {suffix}"


def _email(value: str) -> str:
    said = "".join(_EMAIL_SYMBOLS.get(c, c) for c in value)
    # Digits one by one: "j smith 1 2 3", not "j smith one hundred and twenty three".
    spaced = "".join(f" {c} " if c.isdigit() else c for c in said)
    return " ".join(_LETTER_A.get(word, word) for word in spaced.split())


# espeak-ng reads a lone "a" before another word as the article ("uh"); "A." it names.
_LETTER_A = {"a": "A.", "A": "A."}


def _spell(code: str) -> str:
    """Characters one by one for the TTS: "SW1A" -> "S W 1 A."."""
    return " ".join(_LETTER_A.get(c, c) for c in code)
