"""Numbers and money amounts as callers say them ("twelve fifty", "a hundred and five pounds").

Canonical values: a number is a plain decimal string without exponent or trailing zeros
("23", "1250", "2.5", "-3"); an amount is a non-negative decimal with two places ("23.50").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from voicebot.language.words import TEENS, TENS, UNITS

_SCALES = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
# "oh" and "o" are zero only inside digit-by-digit runs; on their own they are interjections.
_CARDINAL_UNITS = {w: v for w, v in UNITS.items() if w not in ("oh", "o")}
_NEGATIVE = ("minus", "negative")
_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR"}
# fmt: off
_MAJOR = {
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP",
    "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD",
    "euro": "EUR", "euros": "EUR",
}
_MINOR = {
    "GBP": ("pence", "penny", "pennies", "p"),
    "USD": ("cent", "cents", "c"),
    "EUR": ("cent", "cents", "c"),
}
# fmt: on
_ALL_MINOR = {w for words in _MINOR.values() for w in words}


def tokens(text: str) -> list[str]:
    """Words, decimal numbers ("23.50", "1250" from "1,250", keypad "23*50" as 23.50) and
    currency symbols."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = re.sub(r"(?<=\d)\*(?=\d)", ".", text)  # keypad: star is the decimal point
    text = re.sub(r"(?<![\w.])-(?=\d)", " minus ", text)
    return re.findall(r"\d+(?:\.\d+)?|[a-z]+|[£$€]", text)


@dataclass(frozen=True)
class Group:
    """One number read from consecutive tokens `start` to `end` (exclusive)."""

    value: Decimal
    start: int
    end: int
    digit_words: int = 0
    """How many of its tokens were single-digit words ("one", "oh") or single digits."""


def read_number(toks: list[str], i: int) -> Group | None:
    """The longest cardinal number starting at `toks[i]` ("two hundred and five point three",
    "1250", "a thousand", "one and a half"), or None if no number starts there."""
    total = Decimal(0)
    current = Decimal(0)
    last = ""  # class of the last token read: unit, teen, tens, hundred, scale, digits
    last_scale = 10**12
    j = i
    start_ok = False
    digit_words = 0
    while j < len(toks):
        word = toks[j]
        nxt = toks[j + 1] if j + 1 < len(toks) else ""
        if word in ("a", "an") and not last and nxt in ("hundred", *_SCALES):
            current, last = Decimal(1), "unit"
        elif word == "and" and last in ("hundred", "scale") and _is_number_word(nxt):
            pass  # "two hundred and five"
        elif re.fullmatch(r"\d+(\.\d+)?", word) and not last:
            current, last = Decimal(word), "digits"
            digit_words += len(word) == 1
        elif word in _CARDINAL_UNITS and last in ("", "tens", "hundred", "scale"):
            if last == "tens" and _CARDINAL_UNITS[word] == 0:
                break
            current += _CARDINAL_UNITS[word]
            last = "unit"
            digit_words += 1
        elif word in TEENS and last in ("", "hundred", "scale"):
            current, last = current + TEENS[word], "teen"
        elif word in TENS and last in ("", "hundred", "scale"):
            current, last = current + TENS[word], "tens"
        elif word == "hundred" and last in ("unit", "teen", "tens", "digits") and current < 100:
            current, last = current * 100, "hundred"
        elif word in _SCALES and last in ("unit", "teen", "tens", "hundred", "digits"):
            if _SCALES[word] >= last_scale:
                break
            last_scale = _SCALES[word]
            total += current * _SCALES[word]
            current, last = Decimal(0), "scale"
        else:
            break
        start_ok = start_ok or last != ""
        j += 1
    if not start_ok:
        return _read_fraction_only(toks, i)
    value = total + current
    if last in ("unit", "teen", "tens", "hundred", "digits") or last == "scale":
        fraction = _read_point(toks, j)
        if fraction is not None and value == value.to_integral_value():
            value += fraction[0]
            j = fraction[1]
        elif toks[j : j + 3] == ["and", "a", "half"]:
            value += Decimal("0.5")
            j += 3
    return Group(value, i, j, digit_words)


def _read_fraction_only(toks: list[str], i: int) -> Group | None:
    if toks[i : i + 2] == ["a", "half"]:
        return Group(Decimal("0.5"), i, i + 2)
    if toks[i : i + 1] == ["half"]:
        return Group(Decimal("0.5"), i, i + 1)
    fraction = _read_point(toks, i)
    return Group(fraction[0], i, fraction[1]) if fraction else None


def _read_point(toks: list[str], j: int) -> tuple[Decimal, int] | None:
    """The fraction after "point" at `toks[j]`: digit words one by one ("point two five")."""
    if j >= len(toks) or toks[j] != "point":
        return None
    digits = ""
    k = j + 1
    while k < len(toks):
        word = toks[k]
        if word in UNITS:
            digits += str(UNITS[word])
        elif word.isdigit():
            digits += word
        elif word in TEENS and not digits:
            digits += str(TEENS[word])
        elif word in TENS and not digits:
            digits += str(TENS[word])
        else:
            break
        k += 1
    return (Decimal("0." + digits), k) if digits else None


def _is_number_word(word: str) -> bool:
    return word in UNITS or word in TEENS or word in TENS or word.isdigit() or word == "a"


def read_numbers(toks: list[str]) -> list[Group]:
    """Every number in `toks`, left to right; other words are skipped."""
    groups: list[Group] = []
    i = 0
    while i < len(toks):
        group = read_number(toks, i)
        if group is None:
            i += 1
            continue
        groups.append(group)
        i = group.end
    return groups


MAX_DIGITS = 18
"""Longer numbers are refused: nobody says one, and Decimal arithmetic would round it."""


def canonical_number(value: Decimal) -> str:
    """Like "23", "2.5", "-3": no exponent, no trailing zeros (format, unlike normalize,
    never rounds to the context's precision)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def _too_long(value: Decimal) -> bool:
    return len(value.as_tuple().digits) > MAX_DIGITS


def parse_number(text: str) -> str | None:
    """The one number in `text` as a canonical decimal string, or None.

    Several numbers are refused ("twenty three fifty" is ambiguous) unless every number word
    is a single digit: "one two five" is read digit by digit as 125, "one oh five" as 105.
    """
    toks = tokens(text)
    groups = read_numbers(toks)
    if not groups:
        return None
    if len(groups) > 1:
        return _digit_by_digit(toks, groups)
    group = groups[0]
    value = group.value
    if _too_long(value):
        return None
    if group.start > 0 and toks[group.start - 1] in _NEGATIVE:
        value = -value
    return canonical_number(value)


def _digit_by_digit(toks: list[str], groups: list[Group]) -> str | None:
    if any(g.end - g.start != g.digit_words for g in groups):
        return None
    gaps = (toks[a.end : b.start] for a, b in zip(groups, groups[1:], strict=False))
    if any(word not in ("oh", "o") for gap in gaps for word in gap):
        return None  # "five and six" is two numbers, not 56
    digits = "".join(str(UNITS[t]) if t in UNITS else t for t in toks if t in UNITS or t.isdigit())
    value = Decimal(digits)
    return None if _too_long(value) else canonical_number(value)


def parse_currency(text: str, currency: str = "GBP") -> str | None:
    """The amount of money in `text` as "23.50", or None.

    Read: "twenty three fifty", "twenty three pounds fifty", "£23.50", "twenty three dollars
    and fifty cents", "fifty pence", "50p", "a hundred and five pounds", "23 pounds". Words or
    symbols of another currency than `currency` are refused rather than converted.
    """
    currency = currency.upper()
    toks = tokens(text)
    for tok in toks:
        if _SYMBOLS.get(tok, currency) != currency or _MAJOR.get(tok, currency) != currency:
            return None
        if tok in _ALL_MINOR and tok not in _MINOR.get(currency, ()) and tok not in ("p", "c"):
            return None
    groups = read_numbers(toks)
    if not groups or len(groups) > 2 or any(_too_long(g.value) for g in groups):
        return None
    if groups[0].start > 0 and toks[groups[0].start - 1] in _NEGATIVE:
        return None
    kinds = [_unit_after(toks, g, currency) for g in groups]
    first = groups[0].value
    if len(groups) == 1:
        amount = first / 100 if kinds[0] == "minor" else first
    else:
        second = groups[1]
        if kinds[0] == "minor" or kinds[1] == "major":
            return None
        if kinds[0] == "bare" and not _spoken_as_pence(toks, second):
            return None
        if first != first.to_integral_value() or second.value >= 100:
            return None
        if second.value != second.value.to_integral_value():
            return None
        amount = first + second.value / 100
    try:
        quantized = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    if quantized != amount:
        return None  # "23.505" is not an amount of money
    return f"{quantized:.2f}"


def _unit_after(toks: list[str], group: Group, currency: str) -> str:
    """major (pounds), minor (pence) or bare: the word after the number says which."""
    following = toks[group.end] if group.end < len(toks) else ""
    if following in _MAJOR:
        return "major"
    if following in _MINOR.get(currency, ()):
        return "minor"
    return "bare"


def _spoken_as_pence(toks: list[str], group: Group) -> bool:
    """After a bare number of pounds, a second bare number is pence only when spoken as two
    digits: "twenty three fifty", "five oh five", "12 50"; "twenty three five" is refused."""
    said = toks[group.start : group.end]
    if group.start > 0 and toks[group.start - 1] in ("oh", "o", "zero") and group.value < 10:
        return True
    if len(said) == 1 and said[0].isdigit():
        return len(said[0]) == 2
    return 10 <= group.value < 100 and said[0] not in UNITS
