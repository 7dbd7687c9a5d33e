"""Call records written through the real store, event by event as a call writes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicebot.storage.calls import CallStore


@dataclass
class CallWriter:
    store: CallStore
    sid: str

    def entered(self, *nodes: str) -> CallWriter:
        self.store.add_event(self.sid, "nodes_entered", nodes=list(nodes))
        return self

    def turn(
        self,
        kind: str,
        node: str,
        next_node: str,
        outcome: str | None = "matched",
        *,
        latency_ms: int | None = 420,
        **data: Any,
    ) -> CallWriter:
        self.store.add_event(
            self.sid, kind, node=node, next_node=next_node, outcome=outcome,
            intent=data.pop("intent", None), slot=data.pop("slot", None), slots={}, **data,
        )  # fmt: skip
        if latency_ms is not None and outcome is not None:
            self.store.add_event(self.sid, "bot_audio_started", after_ms=latency_ms)
        return self

    def said(self, node: str, next_node: str, outcome: str = "matched", **data: Any) -> CallWriter:
        data.setdefault("transcript", "check my balance")
        data.setdefault("confidence", 0.9)
        data.setdefault("emotion", "neutral")
        return self.turn("caller_said", node, next_node, outcome, **data)

    def keyed(self, node: str, next_node: str, outcome: str | None, digit: str) -> CallWriter:
        return self.turn("caller_keyed", node, next_node, outcome, digit=digit)

    def silent(self, node: str, next_node: str) -> CallWriter:
        return self.turn("caller_silent", node, next_node, "no_input")

    def transfer(self, queue: str, reason: str, node: str, routed: str | None = None) -> CallWriter:
        handoff = {"node": node, "reason": reason, "slots": {}}
        self.store.add_event(self.sid, "transfer", queue=queue, reason=reason, handoff=handoff)
        self.store.add_event(self.sid, "handoff", id=f"H{self.sid}", queue=routed or queue)
        return self

    def end(self, reason: str) -> CallWriter:
        self.store.end_call(self.sid, reason)
        return self


def start(
    store: CallStore, sid: str, flow: str = "acme_support", version: str = "v1"
) -> CallWriter:
    store.start_call(sid, f"MZ{sid}", flow, "+15005550006", flow_version=version)
    return CallWriter(store, sid)


def known_calls(store: CallStore) -> None:
    """One call of each kind the report must tell apart (acme_support's node names)."""
    # Contained: balance, then goodbye.
    (start(store, "CA01").entered("greet")
        .said("greet", "collect_account", intent="check_balance").entered("collect_account")
        .keyed("collect_account", "collect_account", None, "2")
        .keyed("collect_account", "collect_account", "matched", "3")
        .keyed("collect_account", "collect_pin", "matched", "1").entered("collect_pin")
        .keyed("collect_pin", "lookup_balance", "matched", "****")
        .entered("lookup_balance", "read_balance", "ask_anything_else")
        .keyed("ask_anything_else", "goodbye", "matched", "2").entered("goodbye")
        .end("completed"))  # fmt: skip
    # The caller asks for a person at the menu.
    (start(store, "CA02").entered("greet").keyed("greet", "agent", "matched", "0")
        .entered("agent").transfer("general", "caller_asked_for_agent", "greet")
        .end("transferred"))  # fmt: skip
    # Not understood twice at the menu.
    (start(store, "CA03").entered("greet")
        .said("greet", "greet", "no_match", transcript="cancel my account")
        .said("greet", "greet", "no_match", transcript="cancel my account")
        .transfer("general", "no_match_limit", "greet").end("transferred"))  # fmt: skip
    # Silent twice at the menu.
    (start(store, "CA04").entered("greet").silent("greet", "greet").silent("greet", "greet")
        .transfer("general", "no_input_limit", "greet").end("transferred"))  # fmt: skip
    # Angry twice: escalated (routed to the priority queue).
    (start(store, "CA05").entered("greet")
        .said("greet", "greet", "no_match", transcript="you're useless", emotion="angry")
        .said("greet", "greet", "matched", intent="emotion_escalation", emotion="angry")
        .transfer("priority", "emotion_escalation", "greet").end("transferred"))  # fmt: skip
    # A crisis phrase.
    (start(store, "CA06").entered("greet")
        .said("greet", "greet", "matched", intent="crisis", emotion="anxious")
        .transfer("priority", "crisis", "greet").end("transferred"))  # fmt: skip
    # Billing look-up fails: the flow's own transfer, routed from billing to general.
    (start(store, "CA07").entered("greet")
        .said("greet", "collect_account", intent="check_balance").entered("collect_account")
        .keyed("collect_account", "collect_pin", "matched", "8").entered("collect_pin")
        .keyed("collect_pin", "lookup_balance", "matched", "****")
        .entered("lookup_balance", "lookup_failed")
        .transfer("billing", "flow_transfer", "collect_pin", routed="general")
        .end("transferred"))  # fmt: skip
    # Hangs up at the account number.
    (start(store, "CA08").entered("greet")
        .said("greet", "collect_account", intent="check_balance").entered("collect_account")
        .end("caller_hung_up"))  # fmt: skip
    # Still on the line.
    start(store, "CA09").entered("greet")
