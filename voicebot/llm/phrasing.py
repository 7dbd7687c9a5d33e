"""Rephrase a node's template for the caller's emotion and context, streamed sentence by sentence.

The template is the truth: every fact in it (digit runs, amounts, dates, times, slot values)
and every option and instruction (its content words: "say check my balance, report an outage
or agent") must survive, in the template's order (a menu's order is its keypad order); no new
number may appear, no content word the template lacks (a new option, offer or question: only
warm words such as "sorry", "please", "thank you" may be added), and the reply must stay within
a length limit. Facts are checked as the reply streams: sentences are held back until every
fact and content word of the template has appeared, in order, then released at once and the
rest streamed live. A reply that ends (or fails, or runs over its budget) before that is
dropped and the template is said instead, so nothing wrong is ever spoken and nothing is
spoken twice.
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


# Words that carry no option, instruction or fact: free to drop, add or move.
_FUNCTION_TEXT = """a an the and or but if so then than to of for in on at by with from as
    into about
    is are was were be been being am do does did done have has had having will would can
    could should may might must shall this that these those it its it's i i'm i've i'll me
    my mine we we're we'll our ours us you you're you'll you've your yours he she they them
    their there here what which who whom whose when where how also any some all just"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
# Warm words a rephrasing may add for an upset caller (or leave out), without changing content.
_TONE_TEXT = """sorry please thanks thank kindly okay ok alright sure certainly absolutely course
    happy glad understand understood appreciate patience wait waiting moment trouble
    frustrating frustration inconvenience apologise apologize apologies really quickly quick
    now let let's hello hi great good lovely right away bear"""
_TONE_WORDS = frozenset(_TONE_TEXT.split())


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """The words that carry the text's options, instructions and facts, in order (stemmed;
    digits are left to the number checks)."""
    return [
        _stem(w)
        for w in _words(text)
        if w not in _FUNCTION_WORDS and w not in _TONE_WORDS and not w[0].isdigit()
    ]


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(any(word == got for got in remaining) for word in wanted)


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
    content: tuple[str, ...] = ()
    """The template's content words in order: its options and instructions."""

    @classmethod
    def of(cls, template: str, values: Iterable[str] = ()) -> Facts:
        words = _words(template)
        return cls(
            numbers=tuple(d for d in (_digits(m) for m in _NUMBER.findall(template)) if d),
            words=tuple(w for w in words if w in _NUMBER_WORDS or w in _MONTHS),
            values=tuple(v.lower() for v in values if v.strip()),
            content=tuple(content_words(template)),
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
        said_content = content_words(text)
        for word in set(self.content) - set(self.words):
            if said_content.count(word) < self.content.count(word):
                missing.append(word)
        return missing

    def added_in(self, text: str) -> list[str]:
        """Content words of `text` the template does not have: a new option, offer or fact."""
        known = set(self.content)
        return [w for w in content_words(text) if w not in known]

    def in_order(self, text: str) -> bool:
        """The template's content words appear in `text` in the template's order."""
        return _is_subsequence(list(self.content), content_words(text))

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
                        if not facts.in_order(" ".join(held)):
                            reason = "changed the order of the template's content"
                            raise _Stop
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
                if not facts.in_order(" ".join(held)):
                    reason = "changed the order of the template's content"
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
        added = facts.added_in(sentence)
        if added:  # counts only: the words may be the caller's details
            return f"added {len(added)} word(s) the template does not have"
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
        "is in digits, and every option and instruction, in the same order and words. "
        "Add no facts, no options, no offers, no questions: only a few warm words "
        "(sorry, please, thank you).",
        f"Reply with the rephrased message only, under {limit} characters, plain sentences.",
    ]
    if context:
        lines.append(f"Context: {context}")
    return "\n".join(lines)
