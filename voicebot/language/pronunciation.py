"""How the recogniser's pronunciation dictionary spells words: phrases normalised as cmudict
writes them, and the dictionary's headwords (to report words a grammar cannot use)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from voicebot.language.words import DIGIT_WORDS, TEEN_WORDS, TENS_WORDS

_ONES = DIGIT_WORDS + TEEN_WORDS
_TENS = ("", "", *TENS_WORDS)
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at "}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+")


def normalize_phrase(phrase: str) -> str:
    """Lower-case, spell out numerals and drop punctuation, as the dictionary spells words."""
    text = phrase.lower().replace("\u2019", "'")
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    words: list[str] = []
    for token in _TOKEN.findall(text):
        words.extend(_spell_number(token) if token.isdigit() else [token])
    return " ".join(words)


def _spell_number(digits: str) -> list[str]:
    # Leading zeros and long runs are read digit by digit ("007", "0800 123"), as people say them.
    if digits.startswith("0") or len(digits) > 6:
        return [DIGIT_WORDS[int(d)] for d in digits]
    return _number_words(int(digits))


def _number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        rest = _number_words(n % 100) if n % 100 else []
        return [_ONES[n // 100], "hundred"] + rest
    rest = _number_words(n % 1000) if n % 1000 else []
    return _number_words(n // 1000) + ["thousand"] + rest


@lru_cache(maxsize=1)
def cmudict_words() -> frozenset[str]:
    """Headwords of the dictionary shipped in the pocketsphinx wheel (alternates folded)."""
    import pocketsphinx  # deferred: the compiler itself needs no recogniser

    path = Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))
    return frozenset(_headwords(path.read_text(encoding="utf-8").splitlines()))


def _headwords(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        head = line.split(" ", 1)[0]
        if head:
            yield head.split("(", 1)[0]
