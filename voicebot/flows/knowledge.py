"""A flow's knowledge: FAQ entries with ids, and which of them a caller's question is about.

Answer nodes (`answer:`) read these entries, written in the flow or `!include`d from a file
beside it. Ranking is plain word overlap, enough for FAQ-sized lists and with no model: the
LLM (when configured) only ever words an answer from entries this ranking found relevant.
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from voicebot.flows.base import FlowModel

_STOPWORDS = set(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


class Entry(FlowModel):
    """One question the support line answers, with the approved answer."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Stable id: answers cite it (call records, hand-offs)."""
    question: str = Field(min_length=1)
    """The question as a caller might ask it."""
    answer: str = Field(min_length=1)
    """The approved answer, said as written when no language model is configured."""
    keywords: tuple[str, ...] = ()
    """Other words callers use for it ("hours", "open", "closed")."""


class Knowledge(FlowModel):
    """FAQ entries (usually `!include knowledge/<name>.yaml`)."""

    entries: tuple[Entry, ...] = Field(min_length=1)
    """The questions and their approved answers; ids must be unique."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Knowledge:
        ids = [e.id for e in self.entries]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate entry ids: {', '.join(dupes)}")
        return self

    def relevant(self, question: str, min_relevance: float, top_k: int = 3) -> list[Entry]:
        """The best entries (at most `top_k`) sharing at least `min_relevance` of the
        question's content words, best first; [] when none is relevant enough."""
        return [e for score, e in rank(question, self) if score >= min_relevance][:top_k]


def _terms(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    # A light stem (plural s) so "bills" finds "bill"; enough for FAQ-sized corpora.
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words} - _STOPWORDS


def rank(question: str, knowledge: Knowledge) -> list[tuple[float, Entry]]:
    """Entries by the share of the question's content words they contain, best first."""
    asked = _terms(question)
    if not asked:
        return []
    scored = []
    for entry in knowledge.entries:
        scored.append((len(asked & _entry_terms(entry)) / len(asked), entry))
    return sorted(scored, key=lambda pair: pair[0], reverse=True)


def shared_words(question: str, entry: Entry) -> int:
    """How many of the question's content words `entry` contains."""
    return len(_terms(question) & _entry_terms(entry))


def _entry_terms(entry: Entry) -> set[str]:
    return _terms(" ".join([entry.question, entry.answer, *entry.keywords]))
