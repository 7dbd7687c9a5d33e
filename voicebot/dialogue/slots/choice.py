"""One option from a list, by name, synonym, position ("the second one") or keypad digit."""

from __future__ import annotations

from collections.abc import Sequence

from voicebot.language.words import ORDINAL_UNITS, UNITS, words

Options = Sequence[tuple[str, Sequence[str]]]
_POSITION_WORDS = ("number", "option", "press", "pressed", "choice")


def parse_choice(text: str, options: Options) -> str | None:
    """The value of the option named in `text`, or None.

    A value or synonym must occur as whole words ("credit_card" also as "credit card"); the
    longest phrase found wins, and a tie between two options is None rather than a guess.
    Without a name, a position picks the option: "the first one", "the second", "number
    two", "option 3", or a keypad digit "1".."9" as the whole answer.
    """
    said = words(text)
    if not said:
        return None
    padded = f" {' '.join(said)} "
    best_length = 0
    best: set[str] = set()
    for value, synonyms in options:
        for phrase in (value, *synonyms):
            wanted = " ".join(words(phrase))
            if wanted and f" {wanted} " in padded:
                length = len(wanted.split())
                if length > best_length:
                    best_length, best = length, {value}
                elif length == best_length:
                    best.add(value)
    if len(best) == 1:
        return best.pop()
    if best:
        return None
    position = _position(said)
    if position == -1 and options:
        return options[-1][0]
    if position is not None and 1 <= position <= len(options):
        return options[position - 1][0]
    return None


def _position(said: list[str]) -> int | None:
    if len(said) == 1 and said[0].isdigit() and len(said[0]) == 1:
        return int(said[0])
    if len(said) == 1 and said[0] in UNITS:
        return UNITS[said[0]] or None
    for i, word in enumerate(said):
        if word in ORDINAL_UNITS:
            return ORDINAL_UNITS[word]
        if word == "last" and said[i - 1 : i] == ["the"]:
            return -1
        if word in _POSITION_WORDS and i + 1 < len(said):
            nxt = said[i + 1]
            if nxt.isdigit() and len(nxt) == 1:
                return int(nxt)
            if nxt in UNITS:
                return UNITS[nxt] or None
    return None
