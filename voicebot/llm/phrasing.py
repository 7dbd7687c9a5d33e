"""Rephrase a node's template for the caller's emotion and context, streamed sentence by sentence.

The template is the truth: every fact in it (digit runs, amounts, dates, times, slot values)
must survive, no new number may appear, and the reply must stay within a length limit. Facts
are checked as the reply streams: sentences are held back until every fact of the template has
appeared, then released at once and the rest streamed live. A reply that ends (or fails, or
runs over its budget) before all facts appeared is dropped and the template is said instead,
so nothing wrong is ever spoken and nothing is spoken twice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from loguru import logger

from voicebot.language.words import DIGIT_WORDS, MONTHS, ORDINAL_WORDS, TEENS, TENS
from voicebot.llm.client import LLMClient, LLMError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d(?:[\d,. :/-]*\d)?")
# "may" is left out: far more often the verb than the month.
_MONTHS = frozenset(MONTHS) - {"may"}
_NUMBER_WORDS = frozenset(
    [*DIGIT_WORDS, *TEENS, *TENS, *ORDINAL_WORDS, "hundred", "thousand", "million"]
    + ["pounds", "pence", "dollars", "cents", "euros"]
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@dataclass(frozen=True)
class Facts:
    numbers: tuple[str, ...]
    """Digit runs (separators removed: "1234 5678" -> "12345678")."""
    words: tuple[str, ...]
    """Month names and number words ("forty two pounds" must not lose "forty")."""
    values: tuple[str, ...]
    """Slot values the reply must repeat verbatim (case-insensitive)."""

    @classmethod
    def of(cls, template: str, values: Iterable[str] = ()) -> Facts:
        words = _words(template)
        return cls(
            numbers=tuple(d for d in (_digits(m) for m in _NUMBER.findall(template)) if d),
            words=tuple(w for w in words if w in _NUMBER_WORDS or w in _MONTHS),
            values=tuple(v.lower() for v in values if v.strip()),
        )

    def missing_in(self, text: str) -> list[str]:
        said_digits = _digits(text)
        said_words = _words(text)
        lowered = text.lower()
        missing = [n for n in self.numbers if n not in said_digits]
        for word in set(self.words):
            if said_words.count(word) < self.words.count(word):
                missing.append(word)
        missing.extend(v for v in self.values if v not in lowered)
        return missing

    def invented_in(self, text: str) -> list[str]:
        """Numbers in `text` that are no part of any number of the template."""
        allowed = "|".join(self.numbers)
        return [d for d in (_digits(m) for m in _NUMBER.findall(text)) if d and d not in allowed]


@dataclass(frozen=True)
class Phrased:
    text: str
    used_template: bool
    reason: str = ""


class Phraser:
    """Rephrases templates through the LLM; falls back to the template on any doubt."""

    def __init__(self, client: LLMClient, *, max_chars: int = 240, max_ratio: float = 2.0) -> None:
        self._client = client
        self._max_chars = max_chars
        self._max_ratio = max_ratio

    def limit(self, template: str) -> int:
        return max(self._max_chars, int(len(template) * self._max_ratio))

    async def stream(
        self,
        template: str,
        *,
        emotion: str = "neutral",
        context: str = "",
        values: Iterable[str] = (),
        outcome: list[Phrased] | None = None,
    ) -> AsyncIterator[str]:
        """Sentences to speak, as soon as they are safe. `outcome` (if given) receives how it
        went: the full text said and whether the template was used."""
        facts = Facts.of(template, values)
        limit = self.limit(template)
        messages = [
            {"role": "system", "content": _system_prompt(emotion, context, limit)},
            {"role": "user", "content": template},
        ]
        held: list[str] = []
        spoken: list[str] = []
        buffer = ""
        released = False
        reason = ""

        def report(used_template: bool, why: str) -> None:
            if outcome is not None:
                text = template if used_template else " ".join(spoken)
                outcome.append(Phrased(text, used_template, why))

        try:
            async for piece in self._client.stream(messages):
                buffer += piece
                *done, buffer = _SENTENCE_END.split(buffer)
                for sentence in filter(None, (s.strip() for s in done)):
                    problem = self._check(sentence, facts, held + spoken, limit)
                    if problem:
                        reason = problem
                        raise _Stop
                    if released:
                        spoken.append(sentence)
                        yield sentence
                        continue
                    held.append(sentence)
                    if not facts.missing_in(" ".join(held)):
                        released = True
                        for ready in held:
                            spoken.append(ready)
                            yield ready
                        held.clear()
            tail = buffer.strip()
            if tail:
                problem = self._check(tail, facts, held + spoken, limit)
                if problem:
                    reason = problem
                    raise _Stop
                if released:
                    spoken.append(tail)
                    yield tail
                else:
                    held.append(tail)
            if not released:
                missing = facts.missing_in(" ".join(held))
                if missing or not held:
                    reason = f"dropped {len(missing)} fact(s)" if missing else "empty reply"
                    raise _Stop
                spoken.extend(held)
                for sentence in held:
                    yield sentence
            report(False, "")
        except (_Stop, LLMError) as exc:
            reason = reason or str(exc)
            # Reasons name counts and kinds only: the reply may hold caller details.
            logger.bind(released=released).info(f"phrasing fell back: {reason}")
            if released:
                report(False, reason)  # all facts already said: stop here, say no more
                return
            report(True, reason)
            yield template

    @staticmethod
    def _check(sentence: str, facts: Facts, before: list[str], limit: int) -> str:
        if len(" ".join([*before, sentence])) > limit:
            return "over the length limit"
        if facts.invented_in(sentence):
            return "a number not in the template"
        return ""

    async def phrase(
        self,
        template: str,
        *,
        emotion: str = "neutral",
        context: str = "",
        values: Iterable[str] = (),
    ) -> Phrased:
        """The whole reply (for callers that cannot stream)."""
        outcome: list[Phrased] = []
        async for _ in self.stream(
            template, emotion=emotion, context=context, values=values, outcome=outcome
        ):
            pass
        return outcome[0]


class _Stop(Exception):
    pass


def _system_prompt(emotion: str, context: str, limit: int) -> str:
    lines = [
        "You are a phone agent. Rephrase the user's message to speak it to a caller.",
        f"The caller seems {emotion}; adapt the tone (warmer if upset, brisk if in a hurry).",
        "Keep every number, amount, date, time and name exactly as written, in digits if it "
        "is in digits. Add no facts, no offers, no questions.",
        f"Reply with the rephrased message only, under {limit} characters, plain sentences.",
    ]
    if context:
        lines.append(f"Context: {context}")
    return "\n".join(lines)
