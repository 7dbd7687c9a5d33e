"""Pure parsers for slot values spoken by callers (digits, yes/no) and telephone read-back.

Input is a recogniser transcript; nothing here knows about audio, flows or the engine.
"""

from __future__ import annotations

import re

# fmt: off  (word tables read better packed than one entry per line)
_UNITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_TEENS = {
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
}
_TENS = {
    "twenty": "2",
    "thirty": "3",
    "forty": "4",
    "fifty": "5",
    "sixty": "6",
    "seventy": "7",
    "eighty": "8",
    "ninety": "9",
}
_REPEATS = {"double": 2, "triple": 3}
# Number words whose place value we do not parse; guessing would silently drop digits.
_UNPARSED = {"hundred", "thousand", "million", "point"}
# fmt: on


def _words(text: str) -> list[str]:
    """Lower-case words and digit runs; hyphens split ("twenty-one"), apostrophes vanish."""
    return re.findall(r"[a-z]+|[0-9]+", text.lower().replace("'", "").replace("\u2019", ""))


def parse_digits(text: str) -> str | None:
    """The digit string spoken in `text`, or None if it has no digits or cannot be read.

    Words that are not numbers ("my number is", "um") are skipped; the caller of this checks
    the length, which rejects stray numbers in ordinary sentences.
    """
    digits: list[str] = []
    repeat = 1
    words = _words(text)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word in _UNPARSED:
            return None
        if word in _REPEATS:
            repeat = _REPEATS[word]
            continue
        if word.isdigit():
            # "double 5" repeats the digit; "double 55" is not a thing people say.
            chunk = word[0] * repeat + word[1:] if repeat > 1 else word
        elif word in _UNITS:
            chunk = _UNITS[word] * repeat
        elif word in _TEENS:
            chunk = _TEENS[word]
        elif word in _TENS:
            unit = words[i] if i < len(words) else ""
            if unit in _UNITS and _UNITS[unit] != "0":
                chunk = _TENS[word] + _UNITS[unit]
                i += 1
            else:
                chunk = _TENS[word] + "0"
        else:
            continue
        repeat = 1
        digits.append(chunk)
    return "".join(digits) or None


# Decisive phrases, matched at each word position (longest first); the earliest one wins, so
# "no that's right" is no and "that's not right" is no ("not right" starts before "right").
# fmt: off
_YES = (
    "yes", "yeah", "yea", "yep", "yup", "ya", "aye", "correct", "thats correct", "thats right",
    "that is right", "that is correct", "right", "sure", "ok", "okay", "affirmative",
    "absolutely", "of course", "indeed", "certainly", "definitely", "uh huh", "mm hmm",
    "sounds good", "please do", "go ahead", "it is", "i do", "exactly", "yes please", "true",
)
_NO = (
    "no", "nope", "nah", "not right", "not correct", "thats wrong", "wrong", "incorrect",
    "negative", "no thanks", "not really", "i dont", "it isnt", "thats not", "that is not",
    "not that", "nothing", "never", "false", "no way", "its not", "it is not", "isnt right",
    "isnt correct", "not quite",
)
# Hedges decide "no answer yet" rather than letting a later word ("sure") decide.
_UNSURE = ("not sure", "dont know", "maybe", "perhaps", "no idea", "im unsure", "unsure")
# fmt: on

_YES_NO_PHRASES = sorted(
    [(p.split(), True) for p in _YES]
    + [(p.split(), False) for p in _NO]
    + [(p.split(), None) for p in _UNSURE],
    key=lambda entry: -len(entry[0]),
)


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None if `text` does not answer a yes/no question."""
    words = _words(text)
    for i in range(len(words)):
        for phrase, answer in _YES_NO_PHRASES:
            if words[i : i + len(phrase)] == phrase:
                return answer
    return None


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
