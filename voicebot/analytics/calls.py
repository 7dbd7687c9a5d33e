"""One call record (the store's `get_call` shape) read as what happened: outcome, path, turns.

Pure: dicts in, dataclasses out, so the same code reads SQLite and PostgreSQL records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CALLER_TURNS = ("caller_said", "caller_keyed", "caller_silent")
BOT_ENDS_BY_LEAVING = ("caller_hung_up", "stream_dropped", "transferred")
"""End reasons that are not the bot finishing the call itself."""
NO_MATCH_REASONS = ("no_match_limit",)
ESCALATIONS = ("emotion_escalation", "crisis")


@dataclass(frozen=True)
class Turn:
    """One caller turn the engine completed (a keyed digit mid-number is not one)."""

    kind: str
    node: str
    next_node: str | None
    outcome: str
    """matched | no_match | no_input | invalid"""
    at: float
    intent: str | None = None
    slot: str | None = None
    transcript: str | None = None
    """As recorded: "****" where the value was sensitive."""
    digit: str | None = None
    confidence: float | None = None
    emotion: str | None = None
    emotion_intensity: float | None = None
    latency_ms: int | None = None
    """Caller's end of turn to the bot's first audio back."""


@dataclass(frozen=True)
class CallDigest:
    call_sid: str
    flow: str
    started_at: float
    ended_at: float | None
    end_reason: str | None
    outcome: str
    """contained | transferred | hung_up | dropped | ended | live"""
    flow_version: str | None
    path: tuple[str, ...]
    """Nodes the call entered, in order (repeats kept)."""
    turns: tuple[Turn, ...]
    transfer_reason: str | None = None
    transfer_queue: str | None = None
    """The queue routing chose (the handoff's), else the one the flow asked for."""
    requested_queue: str | None = None
    """The queue the flow asked for (routing may have picked another)."""
    lost_at: str | None = None
    """The node the caller was in when the bot lost the call (transfer, hang-up, drop)."""
    handoffs: int = 0
    emotions: tuple[str, ...] = ()
    latencies_ms: tuple[int, ...] = field(default=())

    @property
    def last_node(self) -> str | None:
        return self.path[-1] if self.path else None

    @property
    def peak_emotion(self) -> str:
        """The call's most frequent non-neutral emotion, else neutral."""
        upset = [e for e in self.emotions if e != "neutral"]
        return max(set(upset), key=upset.count) if upset else "neutral"

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


def loss_kind(reason: str | None) -> str:
    """How a transfer counts in the funnel: the caller was not understood (no_match), was
    not heard (no_input), or was handed over for another reason (transfer)."""
    if reason is None:
        return "transfer"
    if reason in NO_MATCH_REASONS or reason.startswith("low_confidence"):
        return "no_match"
    if reason == "no_input_limit":
        return "no_input"
    return "transfer"


def digest(record: Mapping[str, Any]) -> CallDigest:
    """What one call did, from its record."""
    events: list[Mapping[str, Any]] = list(record.get("events") or [])
    path: list[str] = []
    entered_seen = any(e.get("kind") == "nodes_entered" for e in events)
    turns: list[Turn] = []
    pending: dict[str, Any] | None = None  # the last turn, waiting for its reply latency
    transfer: Mapping[str, Any] | None = None
    handoff_queue: str | None = None
    handoffs = 0
    version = str(record.get("flow_version") or "") or None
    emotions: list[str] = []
    latencies: list[int] = []

    def visit(node: object) -> None:
        if isinstance(node, str) and node and (not path or path[-1] != node):
            path.append(node)

    def close_turn() -> None:
        nonlocal pending
        if pending is not None:
            turns.append(Turn(**pending))
            pending = None

    for event in events:
        kind = event.get("kind")
        if kind == "nodes_entered":
            for node in event.get("nodes") or []:
                if isinstance(node, str) and node:
                    path.append(node)
        elif kind in CALLER_TURNS:
            if not entered_seen:
                visit(event.get("node"))
                visit(event.get("next_node"))
            outcome = event.get("outcome")
            if outcome is None:
                continue  # a key mid-way through a number, or speech while a lookup ran
            close_turn()
            pending = {
                "kind": str(kind),
                "node": str(event.get("node") or ""),
                "next_node": event.get("next_node"),
                "outcome": str(outcome),
                "at": float(event.get("at") or 0.0),
                "intent": event.get("intent"),
                "slot": event.get("slot"),
                "transcript": event.get("transcript"),
                "digit": event.get("digit"),
                "confidence": event.get("confidence"),
                "emotion": event.get("emotion"),
                "emotion_intensity": event.get("emotion_intensity"),
            }
            if event.get("emotion"):
                emotions.append(str(event["emotion"]))
        elif kind == "bot_audio_started":
            ms = event.get("after_ms")
            if isinstance(ms, int | float):
                latencies.append(int(ms))
                if pending is not None and pending.get("latency_ms") is None:
                    pending["latency_ms"] = int(ms)
        elif kind in ("webhook", "answered") and not entered_seen:
            visit(event.get("node"))
            visit(event.get("next_node"))
        elif kind == "transfer" and transfer is None:
            transfer = event
        elif kind == "handoff":
            handoffs += 1
            handoff_queue = handoff_queue or event.get("queue")
    close_turn()

    end_reason = record.get("end_reason")
    ended_at = record.get("ended_at")
    lost_at: str | None = None
    reason = queue = None
    if transfer is not None:
        outcome = "transferred"
        reason = transfer.get("reason")
        queue = handoff_queue or transfer.get("queue")
        packet = transfer.get("handoff")
        node = packet.get("node") if isinstance(packet, Mapping) else None
        lost_at = node if isinstance(node, str) else (path[-1] if path else None)
    elif ended_at is None:
        outcome = "live"
    elif end_reason == "caller_hung_up":
        outcome = "hung_up"
        lost_at = path[-1] if path else None
    elif end_reason == "stream_dropped":
        outcome = "dropped"
        lost_at = path[-1] if path else None
        queue = handoff_queue
    elif end_reason in BOT_ENDS_BY_LEAVING:
        outcome = "ended"
    else:
        outcome = "contained"
    return CallDigest(
        call_sid=str(record.get("call_sid")),
        flow=str(record.get("flow")),
        started_at=float(record.get("started_at") or 0.0),
        ended_at=None if ended_at is None else float(ended_at),
        end_reason=end_reason,
        outcome=outcome,
        flow_version=version,
        path=tuple(path),
        turns=tuple(turns),
        transfer_reason=reason if isinstance(reason, str) else None,
        transfer_queue=queue if isinstance(queue, str) else None,
        requested_queue=str(transfer["queue"]) if transfer and transfer.get("queue") else None,
        lost_at=lost_at,
        handoffs=handoffs,
        emotions=tuple(emotions),
        latencies_ms=tuple(latencies),
    )
