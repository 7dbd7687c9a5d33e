"""Digit strings spoken or keyed by callers (account numbers, PINs) and their read-back chunks."""

from __future__ import annotations

from voicebot.language.words import REPEATS, TEENS, TENS, UNITS, words

# Number words whose place value a digit string does not have; guessing would silently drop
# digits ("five hundred" is not "5").
_UNPARSED = {"hundred", "thousand", "million", "point"}


def parse_digits(text: str) -> str | None:
    """The digit string spoken in `text`, or None if it has no digits or cannot be read.

    Words that are not numbers ("my number is", "um") are skipped; the caller of this checks
    the length, which rejects stray numbers in ordinary sentences. Keypad input arrives as
    digits already ("1234"); "#" and other symbols are ignored.
    """
    digits: list[str] = []
    repeat = 1
    tokens = words(text)
    i = 0
    while i < len(tokens):
        word = tokens[i]
        i += 1
        if word in _UNPARSED:
            return None
        if word in REPEATS:
            repeat = REPEATS[word]
            continue
        if word.isdigit():
            # "double 5" repeats the digit; "double 55" is not a thing people say.
            chunk = word[0] * repeat + word[1:] if repeat > 1 else word
        elif word in UNITS:
            chunk = str(UNITS[word]) * repeat
        elif word in TEENS:
            chunk = str(TEENS[word])
        elif word in TENS:
            unit = tokens[i] if i < len(tokens) else ""
            if UNITS.get(unit, 0) != 0:
                chunk = str(TENS[word] + UNITS[unit])
                i += 1
            else:
                chunk = str(TENS[word])
        else:
            continue
        repeat = 1
        digits.append(chunk)
    return "".join(digits) or None


def chunk_digits(digits: str) -> str:
    """Digits spaced for text-to-speech in groups of three or four: "1 2 3 4, 5 6 7 8"."""
    if len(digits) <= 4:
        return " ".join(digits)
    groups = -(-len(digits) // 4)
    base, extra = divmod(len(digits), groups)
    chunks: list[str] = []
    start = 0
    for g in range(groups):
        size = base + (1 if g < extra else 0)
        chunks.append(" ".join(digits[start : start + size]))
        start += size
    return ", ".join(chunks)
