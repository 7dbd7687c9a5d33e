"""Grounded answers: free questions answered only from a knowledge file shipped with the flow.

The knowledge file is a YAML list of FAQ entries with ids. Entries are ranked by simple lexical
overlap with the question; below a relevance threshold the bot says it does not know and offers
a person. Otherwise the model answers from the best few entries only, as JSON naming the entry
it used (an enum of their ids); an answer citing no or an unknown entry, or holding a number
the entry does not, is rejected. When the model fails or is slow, the best entry's own answer
is read out: it is written by people, so it is always safe to say.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from loguru import logger
from pydantic import ValidationError

from voicebot.exceptions import ConfigError
from voicebot.flows.knowledge import Entry, Knowledge, rank
from voicebot.language.wording import NO_ANSWER
from voicebot.llm.client import LLMClient, LLMError
from voicebot.llm.phrasing import Facts

NONE_ID = "none"

__all__ = ["NO_ANSWER", "Answer", "GroundedAnswerer", "Knowledge", "load_knowledge", "rank"]


def load_knowledge(path: Path) -> Knowledge:
    """Read a knowledge YAML file; one clear ConfigError for anything wrong in it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        knowledge = Knowledge.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read knowledge file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    return knowledge


@dataclass(frozen=True)
class Answer:
    text: str
    entry_id: str | None
    """The entry the answer came from; None: not answered (offer a person)."""
    source: Literal["llm", "entry", "none"]
    reason: str = ""


class GroundedAnswerer:
    """Words answers from FAQ entries: through the model when there is one (checked against
    the entry it cites), else the entry's own approved answer."""

    def __init__(
        self,
        client: LLMClient | None,
        knowledge: Knowledge | None = None,
        *,
        threshold: float = 0.5,
        top_k: int = 3,
    ) -> None:
        self._client = client
        self.knowledge = knowledge
        self.threshold = threshold
        self.top_k = top_k

    async def answer(self, question: str) -> Answer:
        """Answer from this answerer's knowledge (the entries relevant enough to `question`)."""
        assert self.knowledge is not None, "answer() needs the knowledge; see answer_from()"
        return await self.answer_from(
            question, self.knowledge.relevant(question, self.threshold, self.top_k)
        )

    async def answer_from(self, question: str, relevant: Sequence[Entry]) -> Answer:
        """Answer from `relevant` entries (best first); none: say so (offer a person)."""
        if not relevant:
            return Answer(NO_ANSWER, None, "none", "no entry relevant enough")
        best = relevant[0]
        if self._client is None:
            return Answer(best.answer, best.id, "entry")
        try:
            reply = await self._client.complete(
                _messages(question, relevant), format=_schema(relevant)
            )
        except LLMError as exc:
            logger.info(f"grounded answer from the entry itself: {exc}")
            return Answer(best.answer, best.id, "entry", str(exc))
        return self._checked(reply.text, relevant, best)

    def _checked(self, raw: str, relevant: Sequence[Entry], best: Entry) -> Answer:
        try:
            data = json.loads(raw)
            entry_id, text = str(data["entry_id"]), str(data["answer"]).strip()
        except (ValueError, KeyError, TypeError):
            return Answer(best.answer, best.id, "entry", "reply is not the JSON asked for")
        if entry_id == NONE_ID:
            return Answer(NO_ANSWER, None, "none", "the model found no answer in the entries")
        entry = next((e for e in relevant if e.id == entry_id), None)
        if entry is None:
            return Answer(best.answer, best.id, "entry", "cited an entry it was not given")
        if not text or Facts.of(entry.answer).invented_in(text):
            return Answer(entry.answer, entry.id, "entry", "answer not grounded in its entry")
        return Answer(text, entry.id, "llm")


def _schema(entries: Sequence[Entry]) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {
            "entry_id": {"type": "string", "enum": [e.id for e in entries] + [NONE_ID]},
            "answer": {"type": "string"},
        },
        "required": ["entry_id", "answer"],
    }


def _messages(question: str, entries: Sequence[Entry]) -> list[dict[str, str]]:
    faq = "\n".join(f"[{e.id}] Q: {e.question}\nA: {e.answer}" for e in entries)
    system = (
        "You answer a caller's question on the phone using ONLY the FAQ entries below. "
        'Reply as JSON: "entry_id" is the id of the entry you used, "answer" is one or two '
        "short spoken sentences taken from that entry's answer. If no entry answers the "
        f'question, reply {{"entry_id": "{NONE_ID}", "answer": ""}}. Never add facts.\n\n{faq}'
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]
