"""Every call-record event the dialogue writes as the call goes (each committed at once, so a
crash loses at most the event in flight), with sensitive values masked, and the reply latency
measured from the end of the caller's turn to the first bot audio."""

from __future__ import annotations

import time
from typing import Any

from loguru import logger

from voicebot.dialogue.actions import Answered, Say, SetSlot, Transfer, WebhookResult
from voicebot.dialogue.engine import DialogueEngine
from voicebot.privacy import MASK
from voicebot.storage.calls import CallStore


class CallRecorder:
    """Writes one call's events to the store; the dialogue processor calls it as things
    happen. Transcripts, digits and slot values of sensitive slots are stored masked."""

    def __init__(self, store: CallStore, call_sid: str) -> None:
        self._store = store
        self._call_sid = call_sid
        self._user_stopped_at: float | None = None
        self._reply_pending_since: float | None = None

    def _add(self, kind: str, **data: Any) -> None:
        self._store.add_event(self._call_sid, kind, **data)

    # -- the caller's side ------------------------------------------------------------------

    def caller_stopped_speaking(self) -> None:
        self._user_stopped_at = time.monotonic()

    def speech_turn(
        self, text: str, confidence: float, stt_ms: object, sensitive: bool
    ) -> dict[str, Any]:
        """The fields of a `caller_said` event for a transcript that just arrived."""
        turn_ms = (
            round((time.monotonic() - self._user_stopped_at) * 1000)
            if self._user_stopped_at
            else None
        )
        self._reply_pending_since = self._user_stopped_at or time.monotonic()
        return {
            "transcript": MASK if sensitive and text else text,
            "confidence": round(confidence, 3),
            "stt_ms": stt_ms,
            "end_of_turn_to_transcript_ms": turn_ms,
        }

    def key_turn(self, digit: str, sensitive: bool) -> dict[str, Any]:
        """The fields of a `caller_keyed` event for a digit that just arrived."""
        self._reply_pending_since = time.monotonic()
        return {"digit": MASK if sensitive else digit}

    def turn(self, kind: str, node: str, engine: DialogueEngine, fields: dict[str, Any]) -> None:
        """A caller turn (`caller_said`, `caller_keyed`, `caller_silent`) with what the engine
        made of it, written before the bot's reply."""
        done = engine.last_turn
        self._add(
            kind,
            node=node,
            **fields,
            intent=getattr(done, "intent", None),
            slot=getattr(done, "slot", None),
            outcome=getattr(done, "outcome", None),
            next_node=engine.node,
            slots=engine.masked_slots(),
        )

    def entered(self, nodes: tuple[str, ...]) -> None:
        """The nodes an event took the call through (the funnel's path)."""
        if nodes:
            self._add("nodes_entered", nodes=list(nodes))

    def barge_in(self, how: str, node: str) -> None:
        self._add("barge_in", by=how, node=node)

    def twilio_stop(self) -> None:
        self._add("twilio_stop")

    # -- the bot's side ---------------------------------------------------------------------

    def said(self, say: Say) -> None:
        self._add("bot_said", text=MASK if say.private else say.text, style=say.style)

    def rephrased(self, text: str) -> None:
        self._add("bot_rephrased", text=text)

    def bot_started_speaking(self) -> None:
        """The first audio of a reply left: how long after the caller's turn ended."""
        if self._reply_pending_since is not None:
            reply_ms = round((time.monotonic() - self._reply_pending_since) * 1000)
            self._add("bot_audio_started", after_ms=reply_ms)
            self._reply_pending_since = None

    def slot_set(self, action: SetSlot) -> None:
        self._add("slot_set", slot=action.name, value=MASK if action.sensitive else action.value)

    def backend_wait(self, node: str, backend: str) -> None:
        self._add("holding_phrase", node=node, backend=backend)

    def webhook(self, node: str, result: WebhookResult, ms: int) -> None:
        self._add("webhook", node=node, ok=result.ok, error=result.error, ms=ms)

    def answered(self, node: str, answer: Answered, ms: int, next_node: str) -> None:
        self._add(
            "answered",
            node=node,
            entry_id=answer.entry_id,
            source=answer.source,
            ms=ms,
            next_node=next_node,
        )

    def backend_fault(self, stage: str) -> None:
        self._add("backend_fault", stage=stage)

    def transfer(self, action: Transfer) -> None:
        self._add("transfer", queue=action.queue, reason=action.reason, handoff=action.handoff)
        logger.bind(call_sid=self._call_sid, queue=action.queue).info(
            f"call transferred to queue '{action.queue}' ({action.reason})"
        )

    def transfer_hold(self) -> None:
        self._add("transfer_hold")
