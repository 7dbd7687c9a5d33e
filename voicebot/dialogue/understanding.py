"""Turn a caller's transcript into an intent or a slot value, given what the node expects.

A grammar decode is matched by its phrases (`interpret`); an open-vocabulary transcript by the
intent matcher's calibrated score (`interpret_open`, the match computed by the shell). Slot
values go through the same parsers either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.matcher import Evidence, Match
from voicebot.dialogue.slots import parse_digits, parse_slot, parse_yes_no
from voicebot.language.words import normalise


@dataclass(frozen=True)
class Interpretation:
    """What a caller turn meant for the current node; both None means no match."""

    intent: str | None = None
    slot_value: str | None = None
    score: float = 1.0
    """How sure the intent is (the matcher's calibrated score; 1.0 for a grammar phrase)."""
    evidence: Evidence = "exact"
    sure: bool = True
    """Evidence enough for a risky move; an open-vocabulary match below the matcher's `high`
    score is checked with the caller first."""


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


# Words whisper writes for spoken digits in a digit string ("4-1-7 to 0-9", "for 1 7").
_DIGIT_HOMOPHONES = {"to": "two", "too": "two", "for": "four", "fore": "four", "won": "one",
                     "ate": "eight", "oh": "zero", "o": "zero"}  # fmt: skip
_DIGIT_TYPES = ("digits", "phone")


def interpret_open(
    text: str, expect: Expectation, match: Match | None, today: date | None = None
) -> Interpretation:
    """An open-vocabulary turn: a command said outright wins, then the expected slot's value,
    then the intent the matcher accepted (with its score, for the engine's evidence rules)."""
    if match is None:  # no matcher (typed conversation tests): phrases, as for a grammar
        slot = expect.slot
        if slot is not None and slot.type in _DIGIT_TYPES:
            text = _digit_words(text)
        return interpret(text, expect, today)
    slot = expect.slot
    if match.intent is not None:
        # A person asked for in so many words wins over the slot ("no, an agent please");
        # other commands only when they are the whole turn ("yep, bye…" answers yes).
        asked_for_agent = match.intent == "agent" and match.evidence == "phrase"
        if (
            slot is None
            or (asked_for_agent and slot.type != "free_text")
            or match.evidence == "exact"
        ):
            return _matched(match)
    if slot is None:
        return Interpretation(score=0.0, evidence="none", sure=False)
    value = parse_expected(_digit_words(text) if slot.type in _DIGIT_TYPES else text, slot, today)
    if value is not None:
        return Interpretation(slot_value=value)
    if match is not None and match.intent is not None and slot.type != "free_text":
        return _matched(match)
    return Interpretation(score=0.0, evidence="none", sure=False)


def _matched(match: Match) -> Interpretation:
    return Interpretation(
        intent=match.intent, score=match.score, evidence=match.evidence, sure=match.sure
    )


def _digit_words(text: str) -> str:
    """Whisper's homophones of digit words read as digits, in a turn that is a digit string."""
    tokens = normalise(text.replace("-", " ")).split()
    return " ".join(_DIGIT_HOMOPHONES.get(t, t) for t in tokens)


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
