"""Spoken words shared by the slot parsers, grammars and read-back: number words, ordinals,
letters, the tokeniser and `normalise()`."""

from __future__ import annotations

import re

# fmt: off  (word tables read better packed than one entry per line)
UNITS = {
    "zero": 0,
    "oh": 0,
    "o": 0,
    "nought": 0,
    "nil": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
ORDINAL_TEENS = {
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
ORDINAL_WORDS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
)
# The NATO spelling alphabet, with the spellings recognisers and people actually produce.
NATO = {
    "alpha": "a",
    "alfa": "a",
    "bravo": "b",
    "charlie": "c",
    "delta": "d",
    "echo": "e",
    "foxtrot": "f",
    "golf": "g",
    "hotel": "h",
    "india": "i",
    "juliet": "j",
    "juliett": "j",
    "kilo": "k",
    "lima": "l",
    "mike": "m",
    "november": "n",
    "oscar": "o",
    "papa": "p",
    "quebec": "q",
    "romeo": "r",
    "sierra": "s",
    "tango": "t",
    "uniform": "u",
    "victor": "v",
    "whiskey": "w",
    "whisky": "w",
    "xray": "x",
    "yankee": "y",
    "zulu": "z",
}
# fmt: on
LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
REPEATS = {"double": 2, "triple": 3}
# The canonical spoken words, in order: what grammars offer and read-back says.
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEEN_WORDS = tuple(TEENS)
TENS_WORDS = tuple(word for word in TENS if word != "fourty")  # a spelling callers' text has
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


FILLERS = frozenset(
    ("um", "umm", "uh", "uhh", "er", "erm", "err", "ah", "eh", "hmm", "mm", "mmm", "hm", "oh")
    + ("mhm", "mhmm", "mmhmm", "hmmm", "huh", "uhhuh", "uhuh")  # backchannels: "mm-hmm", "uh-huh"
)
"""Hesitations and backchannels: sounds, not words (as `words()` splits them)."""


def only_fillers(text: str) -> bool:
    """`text` has no word besides hesitations and backchannels (or none at all)."""
    return all(word in FILLERS for word in words(text))


def words(text: str) -> list[str]:
    """Lower-case words and digit runs; hyphens split ("twenty-one"), apostrophes vanish."""
    text = text.lower().replace("'", "").replace("\u2019", "").replace("x-ray", "xray")
    return re.findall(r"[a-z]+|[0-9]+", text)


def ordinal_value(tokens: list[str], i: int) -> tuple[int, int] | None:
    """(value, tokens used) of an ordinal at `tokens[i]`: "fifth", "twenty first", "21st"."""
    word = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if word.isdigit() and nxt in ("st", "nd", "rd", "th"):
        return int(word), 2
    if word in ORDINAL_UNITS:
        return ORDINAL_UNITS[word], 1
    if word in ORDINAL_TEENS:
        return ORDINAL_TEENS[word], 1
    if word in ORDINAL_TENS:
        return ORDINAL_TENS[word], 1
    if word in TENS and nxt in ORDINAL_UNITS:
        return TENS[word] + ORDINAL_UNITS[nxt], 2
    return None


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("that's" -> "thats"), other punctuation as spaces."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))
