"""Turn a caller's transcript into an intent or a slot value, given what the node expects.

Deterministic phrase matching and slot parsing only; an LLM policy can replace it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.slots import parse_digits, parse_slot, parse_yes_no
from voicebot.language.words import normalise


@dataclass(frozen=True)
class Interpretation:
    """What a caller turn meant for the current node; both None means no match."""

    intent: str | None = None
    slot_value: str | None = None


def interpret(text: str, expect: Expectation, today: date | None = None) -> Interpretation:
    """Match `text` against the expected intents, then parse the expected slot."""
    slot = expect.slot
    # Open answers ("describe the fault") may mention "help" or "a person" in passing; only a
    # turn that is nothing but a command counts as one there.
    exact = slot is not None and slot.type == "free_text"
    intent = match_intent(text, expect.intents, exact=exact)
    if intent is not None:
        return Interpretation(intent=intent)
    if slot is None:
        return Interpretation()
    return Interpretation(slot_value=parse_expected(text, slot, today))


def parse_expected(text: str, slot: SlotExpectation, today: date | None = None) -> str | None:
    """The value of the expected slot in `text`, canonical, or None."""
    if slot.type == "digits":
        digits = parse_digits(text)
        ok = digits is not None and slot.min_length <= len(digits) <= slot.max_length
        return digits if ok else None
    if slot.type == "yes_no":
        answer = parse_yes_no(text)
        return None if answer is None else ("yes" if answer else "no")
    return parse_slot(
        slot.type,
        text,
        today=today or date.today(),
        options=slot.options,
        currency=slot.currency,
    )


def match_intent(
    text: str, intents: dict[str, tuple[str, ...]], *, exact: bool = False
) -> str | None:
    """The intent whose phrase equals the normalised text, else (unless `exact`) whose phrase
    occurs in it as whole words (longest phrase wins, then intent order): "I'd like to check
    my balance"."""
    said = normalise(text)
    if not said:
        return None
    best: tuple[int, str] | None = None
    for name, phrases in intents.items():
        for phrase in phrases:
            wanted = normalise(phrase)
            if not wanted:
                continue
            if wanted == said:
                return name
            if (
                not exact
                and f" {wanted} " in f" {said} "
                and (best is None or len(wanted) > best[0])
            ):
                best = (len(wanted), name)
    return best[1] if best else None
