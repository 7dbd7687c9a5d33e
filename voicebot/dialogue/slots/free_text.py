"""Open answers ("describe the fault"): the text itself, unless it is only hesitation."""

from __future__ import annotations

import re

from voicebot.language.words import words

_FILLERS = frozenset(
    ("um", "umm", "uh", "uhh", "er", "erm", "err", "ah", "eh", "hmm", "mm", "mmm", "hm", "oh")
)


def parse_free_text(text: str) -> str | None:
    """`text` with its whitespace tidied, or None if it is empty or only fillers ("um", "uh")."""
    if not any(word not in _FILLERS for word in words(text)):
        return None
    return re.sub(r"\s+", " ", text).strip()
