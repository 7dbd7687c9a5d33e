"""The understanding fallback: when a turn matches nothing in the node's grammar, ask the model.

The model answers as JSON constrained by a JSON Schema built from what the node expects (ollama's
`format`), and the answer goes through the same slot parsers as any transcript: an intent the
node does not expect, a slot value its parser rejects, malformed JSON or a late answer are all a
no-match (None), never a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from loguru import logger

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.understanding import parse_expected
from voicebot.llm.client import LLMClient, LLMError

NO_INTENT = "none"

_SLOT_HINTS: dict[str, str] = {
    "digits": "the digits only, e.g. 12345678",
    "yes_no": "yes or no",
    "number": "a number in digits, e.g. 42",
    "currency": "an amount in digits, e.g. 12.50",
    "date": "a date as YYYY-MM-DD",
    "time": "a time as HH:MM (24 hour)",
    "choice": "exactly one of the listed options",
    "phone": "the phone number in digits",
    "email": "the email address",
    "postcode": "the postcode",
    "free_text": "the caller's words, verbatim",
}


@dataclass(frozen=True)
class Understood:
    """What the model understood, already validated against the node."""

    intent: str | None = None
    slot_text: str | None = None


def response_schema(expect: Expectation) -> dict[str, Any]:
    """The JSON Schema the model's answer must follow for this node."""
    properties: dict[str, Any] = {
        "intent": {"type": "string", "enum": [*expect.intents, NO_INTENT]}
    }
    required = ["intent"]
    slot = expect.slot
    if slot is not None:
        value: dict[str, Any] = {"type": "string"}
        if slot.type == "choice" and slot.options:
            value["enum"] = [name for name, _ in slot.options] + [""]
        properties["slot"] = value
        required.append("slot")
    return {"type": "object", "properties": properties, "required": required}


def _prompt(expect: Expectation) -> str:
    lines = [
        "You classify what a caller said on a phone line. Answer only with JSON.",
        f'"intent" is one of these, or "{NO_INTENT}" if none fits:',
    ]
    for name, phrases in expect.intents.items():
        lines.append(f"- {name}: e.g. {', '.join(repr(p) for p in phrases[:4])}")
    slot = expect.slot
    if slot is not None:
        lines.append(_slot_line(slot))
        lines.append('Leave "slot" empty ("") if the caller did not give it; never guess.')
    return "\n".join(lines)


def _slot_line(slot: SlotExpectation) -> str:
    line = f'"slot" is the caller\'s {slot.name.replace("_", " ")}: {_SLOT_HINTS[slot.type]}'
    if slot.type == "digits":
        line += f" ({slot.min_length} to {slot.max_length} digits)"
    if slot.type == "choice":
        line += ": " + ", ".join(name for name, _ in slot.options)
    return line


class LLMUnderstander:
    """Asks the model for an intent or slot value the grammar missed, within the budget."""

    def __init__(self, client: LLMClient) -> None:
        self._client = client

    async def understand(
        self, text: str, expect: Expectation, today: date | None = None
    ) -> Understood | None:
        if not text.strip() or (not expect.intents and expect.slot is None):
            return None
        if expect.slot is not None and expect.slot.sensitive:
            # PINs and the like never leave the process, not even to our own model server.
            return None
        messages = [
            {"role": "system", "content": _prompt(expect)},
            {"role": "user", "content": text},
        ]
        try:
            reply = await self._client.complete(messages, format=response_schema(expect))
        except LLMError as exc:
            # The transcript stays out of the log (it may hold caller details).
            logger.bind(node=expect.node).warning(f"LLM understanding skipped: {exc}")
            return None
        return validate_answer(reply.text, expect, today)


def validate_answer(raw: str, expect: Expectation, today: date | None = None) -> Understood | None:
    """The model's JSON as an `Understood`, or None when it is not a valid answer here."""
    try:
        answer = json.loads(raw)
    except ValueError:
        logger.bind(node=expect.node).info("LLM understanding: reply is not JSON")
        return None
    if not isinstance(answer, dict):
        return None
    intent = answer.get("intent")
    if isinstance(intent, str) and intent in expect.intents:
        return Understood(intent=intent)
    slot_text = answer.get("slot")
    if expect.slot is None or not isinstance(slot_text, str) or not slot_text.strip():
        return None
    # The same parser as a transcript: what it rejects is a no-match, not a guess.
    if parse_expected(slot_text, expect.slot, today) is None:
        return None
    return Understood(slot_text=slot_text)
