"""Turn a caller's transcript into an intent or a slot value, given what the node expects.

Deterministic phrase matching and slot parsing only; an LLM policy can replace it later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.slots import parse_digits, parse_slot, parse_yes_no

# Commands understood in every node (flows may add phrases through same-named intents).
# fmt: off
GLOBAL_INTENTS: dict[str, tuple[str, ...]] = {
    "agent": (
        "agent", "operator", "representative", "a person", "a real person", "speak to someone",
        "talk to someone", "human", "a human",
    ),
    "repeat": ("repeat", "repeat that", "say that again", "come again", "pardon"),
    "help": ("help", "what can i say", "what are my options", "i need help"),
    "start_over": ("start over", "start again", "main menu", "go back to the start"),
    "goodbye": ("goodbye", "bye", "good bye", "bye bye"),
}
# fmt: on


@dataclass(frozen=True)
class Interpretation:
    """What a caller turn meant for the current node; both None means no match."""

    intent: str | None = None
    slot_value: str | None = None


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("that's" -> "thats"), other punctuation as spaces."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


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
