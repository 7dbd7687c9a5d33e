"""The handoff packet: what the human agent sees when the call reaches them.

Typed and versioned (`version`); built deterministically from the call record and the
engine's `Transfer`, with sensitive slots and (unless configured) the caller ID masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from voicebot.flows.routing import RouteDecision
from voicebot.privacy import MASK
from voicebot.storage.calls import mask_number

VERSION: Literal[1] = 1
LAST_TURNS = 6


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    who: Literal["caller", "bot"]
    text: str


class Emotion(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    label: str
    intensity: float = 0.0


class HandoffPacket(BaseModel):
    """One transfer's context for the agent (JSON at `GET /handoffs/{id}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = VERSION
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    call_sid: str
    flow: str
    caller: str | None
    """Caller ID, masked to its last 4 digits unless `VOICEBOT_HANDOFF_SHOW_CALLER` is set."""
    queue: str
    requested_queue: str
    action: Literal["queue", "callback"]
    reason: str
    priority: int
    vip: bool
    intent: str | None
    node: str | None
    """Where in the flow the caller was."""
    slots: dict[str, str]
    """Filled slots; sensitive ones are `****`."""
    emotions: list[Emotion]
    """Emotion trajectory, oldest first; empty when the caller never spoke (keypad only: the
    summary then says "No speech") or no emotion detector ran."""
    summary: str
    """One or two sentences an agent reads in 5 seconds."""
    last_turns: list[Turn]

    def task_attributes(self) -> dict[str, str | int | float | bool | list[str] | None]:
        """The routing fields TaskRouter workflows filter on (no transcript)."""
        return {
            "call_sid": self.call_sid,
            "handoff_id": self.id,
            "queue": self.queue,
            "reason": self.reason,
            "priority": self.priority,
            "vip": self.vip,
            "intent": self.intent,
            "emotion": self.emotions[-1].label if self.emotions else None,
            "summary": self.summary,
        }


def build_packet(
    *,
    call_sid: str,
    flow: str,
    caller: str | None,
    decision: RouteDecision,
    handoff: Mapping[str, object],
    events: Sequence[Mapping[str, Any]],
    skills: Sequence[str] = (),
    show_caller: bool = False,
) -> HandoffPacket:
    """The packet for one transfer. `handoff` is the engine's `Transfer.handoff` (its slots
    already masked); `events` the call record's events (transcripts already masked)."""
    raw_slots = handoff.get("slots")
    slots = {str(k): str(v) for k, v in raw_slots.items()} if isinstance(raw_slots, dict) else {}
    emotions = emotion_trajectory(handoff, events)
    intent = handoff.get("intent")
    node = handoff.get("node")
    turns = last_turns(events)
    packet = HandoffPacket(
        call_sid=call_sid,
        flow=flow,
        caller=caller if show_caller else mask_number(caller),
        queue=decision.queue,
        requested_queue=decision.requested_queue,
        action=decision.action,
        reason=decision.reason,
        priority=decision.priority,
        vip=decision.vip,
        intent=intent if isinstance(intent, str) else None,
        node=node if isinstance(node, str) else None,
        slots=slots,
        emotions=emotions,
        summary="",
        last_turns=turns,
    )
    spoke = any(e.get("kind") == "caller_said" and e.get("transcript") for e in events)
    summary = summarise(packet, skills, closed=decision.closed, spoke=spoke or bool(emotions))
    return packet.model_copy(update={"summary": summary})


def emotion_trajectory(
    handoff: Mapping[str, object], events: Sequence[Mapping[str, Any]]
) -> list[Emotion]:
    """The engine's emotion list when it gives one (dicts with `label`, or bare labels), else
    the per-turn `emotion`/`emotion_intensity` the call record holds."""
    raw = handoff.get("emotion") or handoff.get("emotions") or []
    found: list[Emotion] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, str):
                found.append(Emotion(label=item))
            elif isinstance(item, dict) and "label" in item:
                found.append(Emotion.model_validate(item))
    if found:
        return found
    for event in events:
        label = event.get("emotion")
        if event.get("kind") == "caller_said" and isinstance(label, str):
            intensity = event.get("emotion_intensity")
            value = float(intensity) if isinstance(intensity, int | float) else 0.0
            found.append(Emotion(label=label, intensity=value))
    return found


def last_turns(events: Sequence[Mapping[str, Any]], count: int = LAST_TURNS) -> list[Turn]:
    turns: list[Turn] = []
    for event in events:
        kind = event.get("kind")
        if kind == "caller_said" and event.get("transcript"):
            turns.append(Turn(who="caller", text=str(event["transcript"])))
        elif kind == "caller_keyed":
            turns.append(Turn(who="caller", text=f"[keypad {event.get('digit', MASK)}]"))
        elif kind == "bot_said":
            turns.append(Turn(who="bot", text=str(event.get("text", ""))))
    return turns[-count:]


_REASONS = {
    "caller_asked_for_agent": "asked for a person",
    "no_match_limit": "was not understood several times",
    "no_input_limit": "stayed silent several times",
    "stream_dropped": "was cut off mid-call",
}


def summarise(
    packet: HandoffPacket,
    skills: Sequence[str] = (),
    closed: Sequence[str] = (),
    spoke: bool = True,
) -> str:
    """Deterministic summary: who, why, what they wanted, what we know, how they feel, where
    opening hours sent them (`closed`: the queues that were shut), what skill they need."""
    who = "VIP caller" if packet.vip else "Caller"
    why = _REASONS.get(packet.reason)
    if why is None and packet.reason.startswith("backend_fault"):
        why = "hit a system fault (" + packet.reason.partition(":")[2] + ")"
    parts = [f"{who} {why or 'was transferred: ' + packet.reason.replace('_', ' ')}."]
    if packet.intent:
        parts.append(f"Wants: {packet.intent.replace('_', ' ')}.")
    if packet.slots:
        known = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in packet.slots.items())
        parts.append(f"Known: {known}.")
    if packet.emotions and packet.emotions[-1].label != "neutral":
        parts.append(f"Sounds {packet.emotions[-1].label}.")
    elif not spoke:
        parts.append("No speech: keypad only, so no mood.")
    shut = " and ".join(closed)
    if packet.action == "callback":
        parts.append(f"Out of hours ({shut or packet.queue} closed): callback requested.")
    elif closed:
        parts.append(f"Out of hours: {shut} closed, so sent to {packet.queue}.")
    if skills:
        parts.append(f"Needs: {', '.join(skills)}.")
    return " ".join(parts)
