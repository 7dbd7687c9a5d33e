"""Carrying out one call's transfer: route it, build and store the handoff, notify the agent
desktop, then move the live call (REST) or leave the TwiML for `/twilio/after-stream`.

Without REST credentials the stream is simply closed: Twilio then asks `/twilio/after-stream`,
which answers with the stored TwiML, so the caller still reaches the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from voicebot.dialogue.actions import Say, Transfer
from voicebot.exceptions import StoreUnavailable
from voicebot.flows.flow import Flow
from voicebot.flows.routing import CallerFacts, decide, queues_of
from voicebot.language.wording import APOLOGY
from voicebot.settings import Settings
from voicebot.storage.calls import CallStore
from voicebot.transfer.desktop import AgentDesktopNotifier
from voicebot.transfer.handoff import HandoffPacket, build_packet, emotion_trajectory
from voicebot.twilio.rest import TwilioCallUpdater, TwilioCredentials, UpdateResult
from voicebot.twilio.twiml import transfer_twiml

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PreparedTransfer:
    packet: HandoffPacket
    twiml: str

    @property
    def fault(self) -> bool:
        """A backend-fault transfer: its TwiML starts with the apology, and it is carried out
        at once (the apology is heard from Twilio as the stream ends, not streamed first)."""
        return is_fault(self.packet.reason)


def is_fault(reason: str) -> bool:
    return reason.startswith("backend_fault")


def fault_apology(words: Sequence[Say]) -> str:
    """What Twilio says for voicebot on a fault transfer: the bot's own words for it (a
    flow's `on_failure` node), unless they repeat something of the caller's (those stay off
    Twilio's TwiML and our stored copy of it); else the standard apology."""
    if not words or any(say.private for say in words):
        return APOLOGY["backend_fault"]
    return " ".join(say.text for say in words)


def updater_from(settings: Settings) -> TwilioCallUpdater | None:
    """A REST updater when credentials are configured (API key preferred over auth token)."""
    sid = settings.twilio_account_sid
    if not sid:
        return None
    if settings.twilio_api_key and settings.twilio_api_secret:
        creds = TwilioCredentials(sid, settings.twilio_api_key, settings.twilio_api_secret)
    elif settings.twilio_auth_token:
        creds = TwilioCredentials(sid, sid, settings.twilio_auth_token)
    else:
        return None
    return TwilioCallUpdater(creds, base_url=settings.twilio_api_base_url)


def desktop_from(settings: Settings) -> AgentDesktopNotifier | None:
    if not settings.handoff_webhook_url:
        return None
    return AgentDesktopNotifier(settings.handoff_webhook_url, settings.handoff_webhook_secret)


class CallTransfers:
    """One call's transfers (normally one)."""

    def __init__(
        self,
        *,
        flow_name: str,
        flow: Flow,
        call_sid: str,
        caller: str | None,
        store: CallStore,
        settings: Settings,
        updater: TwilioCallUpdater | None = None,
        desktop: AgentDesktopNotifier | None = None,
        base_url: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.flow_name = flow_name
        self.flow = flow
        self.call_sid = call_sid
        self.caller = caller
        self.store = store
        self.settings = settings
        self.updater = updater
        self.desktop = desktop
        self.base_url = base_url or settings.public_url
        self.clock = clock
        """None: `utc_now` of this module, looked up per call (tests replace it)."""

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else utc_now()

    @property
    def uses_rest(self) -> bool:
        return self.updater is not None

    def prepare(self, transfer: Transfer, words: Sequence[Say] = ()) -> PreparedTransfer:
        """Route, build the packet, store it with its TwiML. Synchronous and fast. `words`:
        what the bot says before the transfer; on a fault they go at the head of the TwiML."""
        handoff = transfer.handoff
        slots = handoff.get("slots")
        intent = handoff.get("intent")
        try:
            record = self.store.get_call(self.call_sid)
        except StoreUnavailable:  # the database is away: route on what the engine knows
            logger.bind(call_sid=self.call_sid).warning("transfer without the call's record")
            record = None
        events = record["events"] if record else []
        facts = CallerFacts(
            caller_id=self.caller,
            intent=intent if isinstance(intent, str) else None,
            slots={str(k): str(v) for k, v in slots.items()} if isinstance(slots, dict) else {},
            emotions=[e.model_dump() for e in emotion_trajectory(handoff, events)],
        )
        queues = queues_of(self.flow)
        decision = decide(
            self.flow.routing, queues, transfer.queue, transfer.reason, self._now(), facts
        )
        packet = build_packet(
            call_sid=self.call_sid,
            flow=self.flow_name,
            caller=self.caller,
            decision=decision,
            handoff=handoff,
            events=events,
            # What the caller needs is the queue they were bound for, wherever hours sent them.
            skills=list(
                dict.fromkeys(
                    [*queues[decision.requested_queue].skills, *queues[decision.queue].skills]
                )
            ),
            show_caller=self.settings.handoff_show_caller,
        )
        apology = fault_apology(words) if is_fault(transfer.reason) else None
        twiml = transfer_twiml(
            decision,
            queues,
            packet.task_attributes(),
            self.base_url,
            apology=apology,
            apology_audio=apology == APOLOGY["backend_fault"],
        )
        self.store.add_handoff(packet.id, self.call_sid, decision.queue, twiml, packet.model_dump())
        self.store.add_event(
            self.call_sid,
            "handoff",
            id=packet.id,
            queue=decision.queue,
            requested_queue=decision.requested_queue,
            reason=decision.reason,
            priority=decision.priority,
            vip=decision.vip,
            action=decision.action,
            closed=list(decision.closed),
            rule=decision.rule,
        )
        if self.desktop is not None:
            self.desktop.send(packet)
        return PreparedTransfer(packet, twiml)

    async def carry_out(self, prepared: PreparedTransfer, timeout: float | None = None) -> bool:
        """Move the live call. True when done or left to after-stream; False when the REST
        update failed or took longer than `timeout` (the after-stream route still queues the
        caller)."""
        handoff_id = prepared.packet.id
        log = logger.bind(call_sid=self.call_sid, handoff=handoff_id)
        if self.updater is None:
            self.store.set_handoff_status(handoff_id, "awaiting_after_stream")
            self.store.add_event(self.call_sid, "transfer_via", method="after_stream")
            return True
        try:
            result = await asyncio.wait_for(
                self.updater.update(self.call_sid, prepared.twiml), timeout
            )
        except TimeoutError:
            result = UpdateResult(ok=False, attempts=1, errors=[f"no answer within {timeout} s"])
        status = "rest_redirected" if result.ok else "rest_failed"
        self.store.set_handoff_status(handoff_id, status)
        self.store.add_event(
            self.call_sid,
            "transfer_via",
            method="rest",
            ok=result.ok,
            attempts=result.attempts,
            errors=result.errors,
        )
        if not result.ok:
            log.warning(f"REST transfer failed after {result.attempts} attempts; after-stream")
        return result.ok


def dropped_call_transfer(flow: Flow, record: Mapping[str, Any]) -> Transfer:
    """The transfer for a call whose stream ended mid-call: its queue is what the flow's
    routing picks for where the caller was (intent and slots from the record)."""
    intent: str | None = None
    slots: dict[str, str] = {}
    node: str | None = None
    for event in record.get("events", []):
        if event.get("kind") in ("caller_said", "caller_keyed", "caller_silent"):
            intent = event.get("intent") or intent
            slots = event.get("slots") or slots
            node = event.get("next_node") or node
    handoff: dict[str, object] = {
        "call_sid": record.get("call_sid"),
        "node": node,
        "intent": intent,
        "slots": slots,
        "reason": "stream_dropped",
        "recent_turns": [],
    }
    return Transfer(queue=flow.default_queue, reason="stream_dropped", handoff=handoff)
