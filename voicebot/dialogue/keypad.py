"""How each slot type is keyed in on the phone's keypad, and what the keys mean as text.

Keyed values go through the same slot parsers as speech, so both are checked one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicebot.flows.slot_types import (
    AnySlot,
    ChoiceSlot,
    CurrencySlot,
    DateSlot,
    DigitsSlot,
    NumberSlot,
    PhoneSlot,
    TimeSlot,
    YesNoSlot,
)

MAX_PHONE_KEYS = 15  # E.164
MAX_NUMBER_KEYS = 12


@dataclass(frozen=True)
class KeypadEntry:
    """`keys`: a run of digits ended by `#`, the inter-digit timeout or `max_keys`;
    `yes_no`: 1 = yes, 2 = no; `choice`: 1..9 pick the options in order."""

    mode: Literal["keys", "yes_no", "choice"]
    kind: str = ""
    max_keys: int = 1
    star_is_point: bool = False
    """Currency: `*` is the decimal point once a digit was keyed (before that, repeat)."""

    def as_text(self, keys: str) -> str | None:
        """The keyed run as the slot parser reads it; None if it cannot be a value."""
        if not keys:
            return None
        if self.kind == "date":  # DDMMYYYY
            if len(keys) != 8 or not keys.isdigit():
                return None
            return f"{keys[4:]}-{keys[2:4]}-{keys[:2]}"
        if self.kind == "time":  # HHMM, 24-hour
            if len(keys) != 4 or not keys.isdigit():
                return None
            return f"{keys[:2]}:{keys[2:]}"
        return keys


def keypad_entry(slot: AnySlot | None) -> KeypadEntry | None:
    """How `slot` is keyed in; None if it cannot be. `None` itself means a confirmation
    question (yes/no)."""
    if slot is None or isinstance(slot, YesNoSlot):
        return KeypadEntry("yes_no")
    if isinstance(slot, ChoiceSlot):
        return KeypadEntry("choice")
    if not getattr(slot, "dtmf", False):
        return None
    if isinstance(slot, DigitsSlot):
        return KeypadEntry("keys", "digits", slot.bounds[1])
    if isinstance(slot, DateSlot):
        return KeypadEntry("keys", "date", 8)
    if isinstance(slot, TimeSlot):
        return KeypadEntry("keys", "time", 4)
    if isinstance(slot, PhoneSlot):
        return KeypadEntry("keys", "phone", MAX_PHONE_KEYS)
    if isinstance(slot, CurrencySlot):
        return KeypadEntry("keys", "currency", MAX_NUMBER_KEYS, star_is_point=True)
    if isinstance(slot, NumberSlot):
        return KeypadEntry("keys", "number", MAX_NUMBER_KEYS)
    return None
