"""Contact details spoken or typed: phone numbers, e-mail addresses and UK postcodes.

Canonical values: a phone number is 7-15 digits, "+" first when said ("+447946000000"); an
e-mail address is lower case; a postcode is upper case with one space ("SW1A 2AA").
"""

from __future__ import annotations

import itertools
import re

from voicebot.dialogue.slots.digits import parse_digits
from voicebot.language.words import LETTERS, NATO, REPEATS, TEENS, TENS, UNITS, words

# --- phone -------------------------------------------------------------------------------------


def parse_phone(text: str) -> str | None:
    """The phone number in `text`: 7 to 15 digits, with the leading "+" when said ("plus four
    four…") or typed. Read: "oh two oh seven nine four six…", "double", "triple", "oh eight
    hundred" (0800), "(020) 7946-0018", "+44 20 7946 0018"."""
    lowered = text.lower()
    toks = words(lowered)
    plus = bool(re.match(r"[^0-9a-z]*\+", lowered))
    if "plus" in toks:
        before = toks[: toks.index("plus")]
        if parse_digits(" ".join(before)) is not None:
            return None  # "plus" inside a number is not a country code
        plus = True
        toks = toks[toks.index("plus") + 1 :]
    # "oh eight hundred", "nine thousand": said of round groups inside phone numbers.
    expanded: list[str] = []
    for tok in toks:
        expanded.extend({"hundred": ["0", "0"], "thousand": ["0", "0", "0"]}.get(tok, [tok]))
    digits = parse_digits(" ".join(expanded))
    if digits is None or not 7 <= len(digits) <= 15:
        return None
    return ("+" if plus else "") + digits


# --- e-mail ------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?P<local>[a-z0-9](?:[a-z0-9._+-]*[a-z0-9])?)@"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})"
)
_EMAIL_SYMBOLS = {
    "at": "@", "dot": ".", "period": ".", "point": ".", "underscore": "_", "dash": "-",
    "hyphen": "-", "minus": "-", "plus": "+",
}  # fmt: skip
_EMAIL_SKIP = frozenset(
    ("capital", "uppercase", "upper", "lowercase", "lower", "case", "letter", "sign", "symbol")
)
# Said around an address, never part of one.
_PHRASES_OUT = ("all one word", "one word", "no spaces", "all lower case", "all lowercase")
_TRAILERS = frozenset(("please", "thanks", "thank", "you", "cheers", "ok", "okay", "ta"))
_LEAD_INS = (
    "my email address is", "my email is", "my e mail address is", "my e mail is",
    "the address is", "email address", "its", "it is", "um", "uh", "er", "erm", "sure",
    "yes", "ok", "okay",
)  # fmt: skip


def valid_email(address: str) -> bool:
    match = _EMAIL.fullmatch(address)
    return match is not None and ".." not in address and len(address) <= 254


def parse_email(text: str) -> str | None:
    """The e-mail address in `text`, lower case, or None unless it is a valid address.

    Read: typed "J.Smith@Example.com"; spoken "j dot smith at example dot com", letters one by
    one "j o h n at gmail dot com", "underscore", "dash"/"hyphen", "dot co dot uk", "double
    l", "j for juliet". NATO words are letters only beside other spelled letters or digits
    ("juliet oscar hotel november" is "john"; "victor at example dot com" stays "victor").
    """
    lowered = text.lower().replace("\u2019", "'")
    typed = re.search(r"[a-z0-9._+-]+@[a-z0-9.-]+", lowered)
    if typed:
        address = typed.group(0).rstrip(".")
        return address if valid_email(address) else None
    toks = re.findall(r"[a-z0-9]+", lowered.replace("'", "").replace("e-mail", "email"))
    said = f" {' '.join(toks)} ".replace(" full stop ", " dot ")
    for phrase in _PHRASES_OUT:
        said = said.replace(f" {phrase} ", " ")
    toks = _strip_lead_in(said.split())
    while toks and toks[-1] in _TRAILERS:
        toks = toks[:-1]
    pieces = _email_pieces(toks)
    at_positions = [i for i, p in enumerate(pieces) if p == "@"]
    # The address's "at" is the last one with a dot after it ("pat at home at example dot com"
    # has no such reading, but "kat at example dot com" keeps "kat").
    at = next((i for i in reversed(at_positions) if "." in pieces[i + 1 :]), None)
    if at is None:
        return None
    address = "".join(p if p != "@" or i == at else "at" for i, p in enumerate(pieces))
    return address if valid_email(address) else None


def _strip_lead_in(toks: list[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for phrase in _LEAD_INS:
            lead = phrase.split()
            if toks[: len(lead)] == lead:
                toks = toks[len(lead) :]
                changed = True
    return toks


def _email_pieces(toks: list[str]) -> list[str]:
    """Tokens as address characters: symbols, digits, spelled letters; words kept whole."""
    spelled = [_is_spelled(t) for t in toks]
    pieces: list[str] = []
    repeat = 1
    i = 0
    while i < len(toks):
        tok = toks[i]
        i += 1
        if tok in _EMAIL_SKIP:
            continue
        if tok in REPEATS:
            repeat = REPEATS[tok]
            continue
        if (
            tok == "for"
            and pieces
            and len(pieces[-1]) == 1
            and i < len(toks)
            and len(toks[i]) > 1
            and toks[i].startswith(pieces[-1])
        ):
            i += 1  # "j for juliet": the word only says which letter
            continue
        if tok in _EMAIL_SYMBOLS:
            piece = _EMAIL_SYMBOLS[tok]
        elif tok == "oh":
            piece = "o"  # spelled, "oh" is the letter
        elif tok in UNITS and tok not in ("o", "oh", "nil"):
            piece = str(UNITS[tok])
        elif tok in NATO and _beside_spelling(spelled, i - 1):
            piece = NATO[tok]
        else:
            piece = tok
        pieces.append(piece * repeat if len(piece) == 1 else piece)
        repeat = 1
    return pieces


def _is_spelled(tok: str) -> bool:
    return len(tok) == 1 or tok in NATO or tok in UNITS or tok.isdigit()


def _beside_spelling(spelled: list[bool], i: int) -> bool:
    return (i > 0 and spelled[i - 1]) or (i + 1 < len(spelled) and spelled[i + 1])


# --- postcode ----------------------------------------------------------------------------------

# The shapes of real UK postcodes (BS 7666): outward code A9, A99, A9A, AA9, AA99, AA9A with
# the letters each position can hold, then the inward code 9AA; plus Girobank's GIR 0AA.
_POSTCODE = re.compile(
    r"GIR0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}"
)
# Letter names as an open-vocabulary recogniser writes them.
# fmt: off
_LETTER_NAMES = {
    "ay": "a", "bee": "b", "be": "b", "see": "c", "sea": "c", "cee": "c", "dee": "d", "ee": "e",
    "ef": "f", "eff": "f", "gee": "g", "aitch": "h", "haitch": "h", "eye": "i", "jay": "j",
    "kay": "k", "el": "l", "ell": "l", "em": "m", "en": "n", "pee": "p", "pea": "p", "queue": "q",
    "cue": "q", "are": "r", "ar": "r", "es": "s", "ess": "s", "tee": "t", "tea": "t",
    "you": "u", "vee": "v", "ex": "x", "why": "y", "zed": "z", "zee": "z",
}
_WORD_LIKE_LETTERS = frozenset({"be", "see", "sea", "are", "you", "why", "tea", "pea"})
"""Letter names that are everyday words too: read as the letter, or left out as a word ("it
would be s w one a…")."""
# Words an open-vocabulary recogniser writes for a spoken digit ("NW3 for RP"): each is read as
# the digit or as the ordinary word it also is, left out ("it's to do with…").
_SOUNDS_LIKE_DIGIT = {"to": "2", "too": "2", "for": "4", "fore": "4", "won": "1", "ate": "8"}
# fmt: on
_LETTER_FOR_DIGIT = {"8": ("8", "A"), "eight": ("8", "A"), "0": ("0", "O")}
"""Digits a recogniser may have written for a letter, as (the digit, the letter): A said alone
("ay") as "8" or "eight" ("M1-1-8E" for M1 1AE), O as "0" ("0X1" for OX1). The other way, a
spelled capital A may be an 8 ("B S A 1 T H" for BS8 1TH; a lower-case "a" is the word)."""
_MAX_AMBIGUOUS = 6
_WRITTEN = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
"""A postcode as a recogniser or a keyboard writes it, inside other words ("It's SW1A 2AA.")."""


def parse_postcode(text: str) -> str | None:
    """The UK postcode in `text` as "SW1A 2AA", or None unless it has a real postcode shape.

    Read: typed "sw1a2aa" or "SW1A 2AA", also inside a sentence ("my postcode is SW1A 2AA");
    letters and digits one by one "s w one a two a a", or as a recogniser writes them
    ("SW1A to AA", "NW3 for RP", "M1-1-8E"); NATO words "sierra whiskey one alpha two alpha
    alpha"; "double a"; "s w nineteen". "oh" is tried as both the letter O and zero; a word
    that sounds like a digit ("for") or a letter ("be") as it or as a word, "8" and "0" as
    the digits or the letters A and O, a spelled "A" as the letter or 8. Of the readings that
    are postcodes, the one that takes the fewest words for something other than what they
    are wins; two such readings are no postcode.
    """
    compact = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    if _POSTCODE.fullmatch(compact):
        return _format_postcode(compact)
    written = {m[1] + m[2] for m in _WRITTEN.finditer(text.upper())}
    written = {code for code in written if _POSTCODE.fullmatch(code)}
    if len(written) == 1:
        return _format_postcode(written.pop())
    choices = _postcode_choices(_spelled_tokens(text))
    if sum(len(c) > 1 for c in choices) > _MAX_AMBIGUOUS:
        return None
    best: dict[str, int] = {}
    for parts in itertools.product(*choices):
        reading = "".join(part for part, _ in parts)
        if _POSTCODE.fullmatch(reading):
            cost = sum(c for _, c in parts)
            best[reading] = min(cost, best.get(reading, cost))
    if not best:
        return None
    fewest = min(best.values())
    winners = [reading for reading, cost in best.items() if cost == fewest]
    return _format_postcode(winners[0]) if len(winners) == 1 else None


def _spelled_tokens(text: str) -> list[str]:
    """Words, with a recogniser's spelled runs split into characters: "SW1A" → s w 1 a, and
    short runs of capitals ("RP", "CF") → r p."""
    toks: list[str] = []
    for chunk in re.findall(r"[A-Za-z0-9']+", text):
        has_digit = any(ch.isdigit() for ch in chunk)
        if (has_digit and any(ch.isalpha() for ch in chunk)) or (
            chunk.isalpha() and chunk.isupper() and (len(chunk) <= 3 and chunk != "I")
        ):
            toks.extend(chunk.upper())  # spelled: kept in capitals
        else:
            toks.extend(words(chunk))
    return toks


def _postcode_choices(toks: list[str]) -> list[tuple[tuple[str, int], ...]]:
    """Per spoken token, what it may stand for in a postcode and what that reading costs (1
    for taking a word or a digit for something it is not)."""
    choices: list[tuple[tuple[str, int], ...]] = []
    repeat = 1
    i = 0
    while i < len(toks):
        spelled_a = toks[i] == "A"
        tok = toks[i].lower()
        i += 1
        if tok in REPEATS:
            repeat = REPEATS[tok]
            continue
        options: tuple[tuple[str, int], ...]
        if tok in ("o", "oh"):
            options = (("O", 0), ("0", 0))
        elif spelled_a:
            options = (("A", 0), ("8", 1))
        elif tok in LETTERS:
            options = ((tok.upper(), 0),)
        elif tok in NATO:
            options = ((NATO[tok].upper(), 0),)
        elif tok in _WORD_LIKE_LETTERS:
            options = ((_LETTER_NAMES[tok].upper(), 0), ("", 1))
        elif tok in _LETTER_NAMES:
            options = ((_LETTER_NAMES[tok].upper(), 0),)
        elif tok in _LETTER_FOR_DIGIT:
            digit, letter = _LETTER_FOR_DIGIT[tok]
            options = ((digit, 0), (letter, 1))
        elif tok.isdigit():
            options = ((tok, 0),)
        elif tok in UNITS:
            options = ((str(UNITS[tok]), 0),)
        elif tok in TEENS:
            options = ((str(TEENS[tok]), 0),)
        elif tok in TENS:
            unit = toks[i] if i < len(toks) else ""
            if UNITS.get(unit, 0) > 0:
                options, i = ((str(TENS[tok] + UNITS[unit]), 0),), i + 1
            else:
                options = ((str(TENS[tok]), 0),)
        elif tok in _SOUNDS_LIKE_DIGIT:
            options = (("", 0), (_SOUNDS_LIKE_DIGIT[tok], 1))
        else:
            continue  # "my postcode is", "um"
        choices.append(tuple((o * repeat if len(o) == 1 else o, c) for o, c in options))
        repeat = 1
    return choices


def _format_postcode(compact: str) -> str:
    return f"{compact[:-3]} {compact[-3:]}"
