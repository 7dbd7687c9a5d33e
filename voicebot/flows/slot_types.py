"""The slot types a flow can collect, typed for YAML, with their validation rules.

Parsing what callers say lives in `voicebot.dialogue.slots`; these are only the settings.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from voicebot.flows.base import FlowModel
from voicebot.flows.webhooks import Webhook

SlotType = Literal[
    "digits", "yes_no", "number", "currency", "date", "time", "choice", "phone", "email",
    "postcode", "free_text",
]  # fmt: skip
SLOT_TYPES: tuple[SlotType, ...] = get_args(SlotType)

Confirm = Literal["always", "never", "low_confidence", "auto"]


class Rule(FlowModel):
    """One check on a value the caller gave, and what the bot says when it fails. Every check
    given in a rule must pass; a failed check counts as a failed attempt."""

    reprompt: str = Field(min_length=1)
    """Said when the check fails (the bot then listens for the slot again)."""
    min_length: int | None = Field(default=None, ge=1)
    """Fewest characters (digits for digit slots) in the value."""
    max_length: int | None = Field(default=None, ge=1)
    """Most characters in the value."""
    min: float | None = None
    """Smallest number or amount accepted."""
    max: float | None = None
    """Largest number or amount accepted."""
    earliest_days: int | None = None
    """Date slots: earliest date accepted, in days from today (0 = today, -30 = a month ago)."""
    latest_days: int | None = None
    """Date slots: latest date accepted, in days from today."""
    regex: str | None = None
    """The value (as stored: digits, `2026-03-05`, `23.50`…) must match this in full."""
    webhook: Webhook | None = None
    """Ask the support centre's system: the slot is sent, the answer must be JSON with
    `"valid": true`. A failed or slow webhook counts as a failed check."""

    @model_validator(mode="after")
    def _has_a_check(self) -> Rule:
        checks = ("min_length", "max_length", "min", "max", "earliest_days", "latest_days")
        if all(getattr(self, key) is None for key in (*checks, "regex", "webhook")):
            raise ValueError("a validation rule needs at least one check besides `reprompt`")
        return self


class _Slot(FlowModel):
    sensitive: bool = False
    """The value is masked ("****") in logs, call records, hand-offs and recorded fixtures;
    keyed digits too (the bot still speaks it when it reads it back). On by default for
    identifiers and numbers a caller gives (digits, phone, email, postcode slots)."""
    checks: list[Rule] = Field(default_factory=list, alias="validate")
    """Validation rules, checked in order after the value is understood."""


class _ConfirmableSlot(_Slot):
    confirm: Confirm = "never"
    """Read the value back and ask the caller to confirm it: `always`, `never`,
    `low_confidence` (only when the recogniser was less sure than `confirm_below`; keyed
    values are never read back then), or `auto`: read back when spoken and either heard less
    surely than `confirm_below` or risky to get wrong (sensitive, digits, phone, postcode,
    e-mail, an amount), otherwise said back in passing ("Got it: …"). `true`/`false` mean
    always/never."""
    confirm_below: float = Field(default=0.8, gt=0, le=1)
    """Recognition confidence under which `low_confidence` and `auto` read the value back."""

    @field_validator("confirm", mode="before")
    @classmethod
    def _confirm_flag(cls, value: object) -> object:
        # `confirm: true` reads naturally in YAML; it means always.
        if isinstance(value, bool):
            return "always" if value else "never"
        return value


class DigitsSlot(_ConfirmableSlot):
    """A number the caller says digit by digit or keys in (account number, PIN)."""

    type: Literal["digits"]
    """Slot type: `digits`."""
    sensitive: bool = True
    """The value is masked ("****") in logs, call records, hand-offs and recorded fixtures;
    keyed digits too (the bot still speaks it when it reads it back). On by default for this
    type; `sensitive: false` keeps the value in clear."""
    length: int | None = Field(default=None, ge=1, le=32)
    """Exact number of digits; keypad entry completes as soon as this many are keyed."""
    min_length: int | None = Field(default=None, ge=1, le=32)
    """Fewest digits accepted (use with `max_length` instead of `length`)."""
    max_length: int | None = Field(default=None, ge=1, le=32)
    """Most digits accepted (use with `min_length` instead of `length`)."""
    dtmf: bool = True
    """The caller may key the digits in; `#` ends a variable-length entry."""

    @model_validator(mode="after")
    def _one_way_to_size(self) -> DigitsSlot:
        if self.length is not None and (self.min_length or self.max_length):
            raise ValueError("give either `length` or `min_length`/`max_length`, not both")
        if self.length is None and (self.min_length is None or self.max_length is None):
            raise ValueError("a digits slot needs `length`, or both `min_length` and `max_length`")
        if self.length is None and self.min_length > self.max_length:  # type: ignore[operator]
            raise ValueError("`min_length` is greater than `max_length`")
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        """(fewest, most) digits accepted."""
        if self.length is not None:
            return self.length, self.length
        return self.min_length or 1, self.max_length or 1


class YesNoSlot(_Slot):
    """A yes/no answer; the node either stores it (`next`) or branches on it (`branch`).
    Keypad: 1 = yes, 2 = no."""

    type: Literal["yes_no"]
    """Slot type: `yes_no`."""


class NumberSlot(_ConfirmableSlot):
    """A quantity ("twenty three", "one thousand two hundred"); stored as `1200`, `2.5`."""

    type: Literal["number"]
    """Slot type: `number`."""
    dtmf: bool = True
    """The caller may key the number in, ending with `#`."""


class CurrencySlot(_ConfirmableSlot):
    """An amount of money ("twenty three fifty", "£23.50"); stored as `23.50`."""

    type: Literal["currency"]
    """Slot type: `currency`."""
    currency: Literal["GBP", "USD", "EUR"] = "GBP"
    """Currency the amount is in (decides the words: pounds/pence, dollars/cents, euros/cents)."""
    dtmf: bool = True
    """The caller may key the amount in, `*` for the decimal point and `#` to finish."""


class DateSlot(_ConfirmableSlot):
    """A calendar date ("next Tuesday", "the fifth of March"); stored as `2026-03-05`. Dates
    without a year are the next one on or after today."""

    type: Literal["date"]
    """Slot type: `date`."""
    dtmf: bool = True
    """The caller may key the date as DDMMYYYY (eight digits)."""


class TimeSlot(_ConfirmableSlot):
    """A time of day ("half past three", "nine a m"); stored as `15:30`."""

    type: Literal["time"]
    """Slot type: `time`."""
    dtmf: bool = True
    """The caller may key the time as HHMM, 24-hour (four digits)."""


class ChoiceSlot(_ConfirmableSlot):
    """One of a fixed list ("electricity, gas or both"); stored as the option's name."""

    type: Literal["choice"]
    """Slot type: `choice`."""
    options: dict[str, list[str]] = Field(min_length=2)
    """Option name -> other ways callers say it. The name itself is also understood
    (underscores read as spaces); keypad 1..9 pick options in this order."""

    @field_validator("options", mode="before")
    @classmethod
    def _list_means_no_synonyms(cls, value: object) -> object:
        # `options: [gas, electricity]` is the short form of a mapping without synonyms.
        if isinstance(value, list):
            return {str(option): [] for option in value}
        return (
            {k: ([] if v is None else v) for k, v in value.items()}
            if isinstance(value, dict)
            else value
        )


class PhoneSlot(_ConfirmableSlot):
    """A telephone number; stored as digits, with a leading `+` when said ("plus four four…")."""

    type: Literal["phone"]
    """Slot type: `phone`."""
    sensitive: bool = True
    """The value is masked ("****") in logs, call records, hand-offs and recorded fixtures;
    keyed digits too (the bot still speaks it when it reads it back). On by default for this
    type; `sensitive: false` keeps the value in clear."""
    dtmf: bool = True
    """The caller may key the number in, ending with `#`."""


class EmailSlot(_ConfirmableSlot):
    """An email address spelled out ("j dot smith at example dot com")."""

    type: Literal["email"]
    """Slot type: `email`."""
    sensitive: bool = True
    """The value is masked ("****") in logs, call records, hand-offs and recorded fixtures;
    keyed digits too (the bot still speaks it when it reads it back). On by default for this
    type; `sensitive: false` keeps the value in clear."""


class PostcodeSlot(_ConfirmableSlot):
    """A UK postcode ("s w one a two a a"); stored as `SW1A 2AA`."""

    type: Literal["postcode"]
    """Slot type: `postcode`."""
    sensitive: bool = True
    """The value is masked ("****") in logs, call records, hand-offs and recorded fixtures;
    keyed digits too (the bot still speaks it when it reads it back). On by default for this
    type; `sensitive: false` keeps the value in clear."""


class FreeTextSlot(_Slot):
    """Whatever the caller says (a fault description); stored as the transcript."""

    type: Literal["free_text"]
    """Slot type: `free_text`."""
    max_chars: int = Field(default=500, ge=1, le=5000)
    """Longer answers are cut to this many characters."""


AnySlot = (
    DigitsSlot
    | YesNoSlot
    | NumberSlot
    | CurrencySlot
    | DateSlot
    | TimeSlot
    | ChoiceSlot
    | PhoneSlot
    | EmailSlot
    | PostcodeSlot
    | FreeTextSlot
)
Slot = Annotated[AnySlot, Field(discriminator="type")]
ConfirmableSlot = _ConfirmableSlot
