"""Open answers ("describe the fault"): the text itself, unless it is only hesitation."""

from __future__ import annotations

import re

from voicebot.language.words import only_fillers


def parse_free_text(text: str) -> str | None:
    """`text` with its whitespace tidied, or None if it is empty or only fillers ("um", "uh")."""
    if only_fillers(text):
        return None
    return re.sub(r"\s+", " ", text).strip()
