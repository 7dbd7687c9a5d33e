"""One call's dialogue state: the node, the slots, the counters, what was said.

The engine's helpers (`nodes`, `filling`, `confirmation`, `lookups`, …) each take the
`CallState`, change it and return actions; none of them calls back into the engine.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Literal

from voicebot.dialogue.actions import Say
from voicebot.flows.emotion_policy import EmotionPolicyState
from voicebot.flows.flow import Flow, Node
from voicebot.flows.slot_types import AnySlot
from voicebot.language.commands import GLOBAL_INTENTS
from voicebot.language.words import normalise
from voicebot.privacy import MASK

RECENT_TURNS = 3
"""Caller turns the hand-off packet carries."""

Source = Literal["speech", "dtmf", "silence"]
Outcome = Literal["matched", "no_match", "no_input", "invalid"]


@dataclass(frozen=True)
class TurnRecord:
    """What one caller turn did, for the call record; sensitive values are already masked."""

    node: str
    source: Source
    outcome: Outcome
    intent: str | None = None
    slot: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Pending:
    """A webhook the engine is waiting on: a node's lookup, a slot's validation rule, or an
    FAQ answer."""

    purpose: Literal["node", "rule", "answer"]
    rule: int = 0
    value: str = ""


class CallState:
    """Everything the engine knows about one call; the helpers read and change it."""

    def __init__(self, flow: Flow, call_sid: str, caller: str | None, today: date) -> None:
        self.flow = flow
        self.call_sid = call_sid
        self.caller = caller
        self.today = today
        """Dates ("next Tuesday") and date conditions are relative to this."""
        self.node: str = flow.start_node
        self.slots: dict[str, str] = {}
        """Raw slot values: for the engine and the flow's own logic only, never for logs."""
        self.ended: str | None = None
        """Why the call ended (EndCall/Transfer/HangUp reason); None while it runs."""
        self.last_turn: TurnRecord | None = None
        """The caller turn the last event completed, or None if it completed none."""
        self.entered: list[str] = []
        """The nodes the last event entered, in order."""
        self.call_facts: dict[str, object] = {
            "emotion": "neutral",
            "emotion_intensity": 0.0,
            "emotion_score": 0.0,
        }
        """Names conditions can read besides slots; the emotion tracker updates these."""
        self.mood = EmotionPolicyState(flow.emotion)
        """The caller's emotion as the flow's policy sees it (openers, escalation, voice)."""
        self.emotion_history: list[dict[str, object]] = []
        """Per speech turn: node, label, intensity, score; for the record and the hand-off."""
        self.globals = {
            name: tuple(normalise(p) for p in phrases)
            + tuple(normalise(p) for p in phrases_of(flow, name))
            for name, phrases in GLOBAL_INTENTS.items()
        }
        """The global commands (repeat, help, agent…) with the flow's own phrases added."""
        self.started = False
        self.intent: str | None = None
        self.confirming = False
        """The node is reading its slot back and waits for yes or no."""
        self.confidence = 1.0
        self.open_vocabulary = False
        """The last speech turn came from an open-vocabulary recogniser (what was said, not the
        nearest grammar phrase)."""
        self.check: str | None = None
        """An intent (or "crisis") the bot asked the caller to confirm before acting on it."""
        self.keys = ""
        """Digits keyed so far in a keypad entry."""
        self.pending: Pending | None = None
        self.no_match = self.no_input = self.rejections = self.unsure = 0
        self.last_said: tuple[Say, ...] = ()
        """What "repeat" says again."""
        self.turns: deque[str] = deque(maxlen=RECENT_TURNS)
        self.source: Source = "speech"
        self.swallow_hash = False
        self.caller_node = self.node
        """The node the caller last answered in: hand-offs name it, not the transfer node."""

    @property
    def current(self) -> Node:
        return self.flow.nodes[self.node]

    @property
    def slot_def(self) -> AnySlot | None:
        """The slot the current node collects, if any."""
        return self.flow.slots.get(self.current.collect or "")

    def sensitive(self, slot: str) -> bool:
        return bool(getattr(self.flow.slots.get(slot), "sensitive", False))

    def masked_slots(self) -> dict[str, str]:
        """Slot values safe for logs and hand-offs: sensitive ones replaced by the mask."""
        return {name: MASK if self.sensitive(name) else v for name, v in self.slots.items()}

    def reset_counters(self) -> None:
        self.no_match = self.no_input = self.rejections = self.unsure = 0

    def condition_names(self) -> dict[str, object]:
        """What `if`/`say_if` conditions can read: slots (typed), call facts, the intent…"""
        names: dict[str, object] = {name: None for name in self.flow.slots}
        for name, value in self.slots.items():
            names[name] = typed(self.flow.slots[name], value)
        names.update(self.call_facts)
        names.update(
            intent=self.intent,
            caller=self.caller,
            today=self.today.isoformat(),
            retries=self.no_match + self.no_input,
        )
        return names

    def record(
        self,
        outcome: Outcome,
        intent: str | None = None,
        slot: str | None = None,
        value: str | None = None,
    ) -> None:
        """Note the turn for the call record (`last_turn`), masking a sensitive value."""
        if value is not None and slot is not None and self.sensitive(slot.removeprefix("confirm_")):
            value = MASK
        self.last_turn = TurnRecord(self.node, self.source, outcome, intent, slot, value)


def phrases_of(flow: Flow, intent: str) -> list[str]:
    """The phrases of one of the flow's intents, or of a global command."""
    found = flow.intents.get(intent)
    return found.phrases() if found is not None else list(GLOBAL_INTENTS.get(intent, ()))


def number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def typed(slot: AnySlot, value: str) -> object:
    """Slot values as conditions compare them: numbers and amounts as numbers."""
    if slot.type in ("number", "currency"):
        found = number(value)
        return value if found is None else found
    return value
