"""The dialogue engine: a pure state machine that turns caller events into bot actions.

No I/O and no clock: the shell feeds events (`handle`) and carries out the actions returned.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

from voicebot.dialogue.actions import (
    Action,
    BackendFault,
    CallStarted,
    DtmfDigit,
    EndCall,
    Event,
    Expectation,
    HangUp,
    Listen,
    NoInput,
    Say,
    SetSlot,
    SlotExpectation,
    Transfer,
    Utterance,
)
from voicebot.dialogue.flow import DigitsSlot, Flow, Node, check_flow
from voicebot.dialogue.slots import chunk_digits
from voicebot.dialogue.understanding import GLOBAL_INTENTS, Interpretation, interpret, normalise
from voicebot.exceptions import FlowError

MASK = "****"
NO_MATCH = "Sorry, I didn't catch that. "
NO_INPUT = "Sorry, I didn't hear anything. "
RETRY_SLOT = "Sorry about that, let's try again. "
TRANSFER_TO_AGENT = "Of course. Let me put you through to one of my colleagues."
GOODBYE = "Thanks for calling. Goodbye."
APOLOGY = {
    "no_match_limit": "I'm sorry, I'm having trouble understanding. "
    "Let me put you through to one of my colleagues.",
    "no_input_limit": "I'm sorry, I can't hear you. "
    "Let me put you through to one of my colleagues.",
    "backend_fault": "I'm sorry, something went wrong on our side. "
    "Let me put you through to one of my colleagues.",
}
RECENT_TURNS = 3


@dataclass(frozen=True)
class TurnRecord:
    """What one caller turn did, for the call record; sensitive values are already masked."""

    node: str
    source: Literal["speech", "dtmf", "silence"]
    outcome: Literal["matched", "no_match", "no_input"]
    intent: str | None = None
    slot: str | None = None
    value: str | None = None


class DialogueEngine:
    """Runs one call through one flow. `handle(event)` returns the actions to carry out, in
    order; an empty list means "keep listening with the same expectation"."""

    def __init__(self, flow: Flow, *, call_sid: str = "") -> None:
        problems = check_flow(flow)
        if problems:
            # Flows normally come through the loader, which reports positions; this guards
            # flows built in code so the engine never meets a dangling reference mid-call.
            raise FlowError([f"{flow.flow}: {p.code}: {p.message}" for p in problems])
        self.flow = flow
        self.call_sid = call_sid
        self.node: str = flow.start_node
        self.slots: dict[str, str] = {}
        """Raw slot values: for the engine and the flow's own logic only, never for logs."""
        self.ended: str | None = None
        """Why the call ended (EndCall/Transfer/HangUp reason); None while it runs."""
        self.last_turn: TurnRecord | None = None
        """The caller turn the last `handle` completed, or None if it completed none."""
        self._globals = {
            name: tuple(normalise(p) for p in phrases)
            + tuple(normalise(p) for p in getattr(flow.intents.get(name), "examples", ()))
            for name, phrases in GLOBAL_INTENTS.items()
        }
        self._started = False
        self._intent: str | None = None
        self._confirming = False
        self._confidence = 1.0
        self._keys = ""
        self._no_match = self._no_input = self._rejections = 0
        self._last_said: tuple[str, ...] = ()
        self._turns: deque[str] = deque(maxlen=RECENT_TURNS)
        self._source: Literal["speech", "dtmf", "silence"] = "speech"
        self._swallow_hash = False
        # The node the caller last answered in: hand-offs name it, not the transfer node.
        self._caller_node = self.node

    # -- public -----------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        """Advance the call by one event."""
        self.last_turn = None
        # Callers often press # after a fixed-length entry that already completed by itself.
        swallow_hash, self._swallow_hash = self._swallow_hash, False
        if swallow_hash and isinstance(event, DtmfDigit) and event.digit == "#":
            return []
        if self.ended is not None:
            return []
        if isinstance(event, HangUp):
            self.ended = event.reason
            return []
        if isinstance(event, CallStarted):
            if self._started:
                return []
            self._started = True
            return self._enter(self.flow.start_node)
        if not self._started:
            return []
        if isinstance(event, Utterance):
            return self._on_speech(event.text, event.confidence)
        if isinstance(event, DtmfDigit):
            return self._on_key(event.digit)
        if isinstance(event, NoInput):
            return self._on_no_input()
        if isinstance(event, BackendFault):
            return self._give_up("backend_fault", reason=f"backend_fault:{event.stage}")
        raise TypeError(f"not a dialogue event: {event!r}")

    def expectation(self) -> Expectation:
        """What the current node can understand (the recogniser's grammar)."""
        node = self._current
        intents = {
            name: self._globals.get(name)
            or tuple(normalise(p) for p in self.flow.intents[name].examples)
            for name in (node.on or {})
        }
        intents.update({k: v for k, v in self._globals.items() if k not in intents})
        slot = self._slot_expectation(node)
        dtmf = node.kind == "menu" or slot is not None
        if isinstance(self._slot_def, DigitsSlot) and not self._confirming:
            dtmf = self._slot_def.dtmf
        return Expectation(
            node=self.node,
            intents=intents,
            slot=slot,
            dtmf=dtmf,
            no_input_timeout=node.no_input_timeout,
        )

    def masked_slots(self) -> dict[str, str]:
        """Slot values safe for logs and hand-offs: sensitive ones replaced by "****"."""
        return {name: MASK if self._sensitive(name) else v for name, v in self.slots.items()}

    # -- entering nodes ---------------------------------------------------------------------

    @property
    def _current(self) -> Node:
        return self.flow.nodes[self.node]

    @property
    def _slot_def(self) -> DigitsSlot | None:
        slot = self.flow.slots.get(self._current.collect or "")
        return slot if isinstance(slot, DigitsSlot) else None

    def _enter(self, name: str, reason: str | None = None) -> list[Action]:
        """Go to `name`, chaining through say nodes; `reason` overrides how the call ends."""
        actions: list[Action] = []
        said: list[str] = []
        while True:
            node = self.flow.nodes[name]
            self.node = name
            self._confirming, self._keys = False, ""
            self._no_match = self._no_input = self._rejections = 0
            if node.say and node.kind != "menu":
                actions.append(Say(node.say))
                said.append(node.say)
            if node.kind == "say" and node.next is not None:  # check_flow guarantees `next`
                name = node.next
                continue
            if node.kind == "transfer":
                return [*actions, self._transfer(node.transfer or "", reason or "flow_transfer")]
            if node.kind == "hangup":
                self.ended = reason or "completed"
                return [*actions, EndCall(self.ended)]
            prompt = self._prompt()
            self._last_said = (*said, prompt)
            self._caller_node = name
            return [*actions, Say(prompt), Listen(self.expectation())]

    def _prompt(self) -> str:
        node = self._current
        if self._confirming:
            return f"I heard {chunk_digits(self.slots[node.collect or ''])}. Is that right?"
        return (node.prompt if node.kind == "collect" else node.say) or ""

    def _ask_again(
        self, prefix: str, attempt: int = 0, reprompts: list[str] | None = None
    ) -> list[Action]:
        """Ask the node's question again: the flow's reprompt for this attempt (1st, 2nd…,
        the last reused) if it has them, otherwise `prefix` and the prompt."""
        prompt = self._prompt()
        self._last_said = (prompt,)
        if reprompts and attempt > 0:
            text = reprompts[min(attempt, len(reprompts)) - 1]
            return [Say(text), Listen(self.expectation())]
        return [Say(prefix + prompt), Listen(self.expectation())]

    def _slot_expectation(self, node: Node) -> SlotExpectation | None:
        name = node.collect
        slot = self.flow.slots.get(name or "")
        if name is None or slot is None:
            return None
        if self._confirming:
            return SlotExpectation(f"confirm_{name}", "yes_no", sensitive=slot.sensitive)
        if isinstance(slot, DigitsSlot):
            low, high = slot.bounds
            return SlotExpectation(name, "digits", low, high, sensitive=slot.sensitive)
        return SlotExpectation(name, "yes_no", sensitive=slot.sensitive)

    # -- caller turns -----------------------------------------------------------------------

    def _on_speech(self, text: str, confidence: float = 1.0) -> list[Action]:
        self._source, self._keys = "speech", ""
        self._confidence = confidence
        expect = self.expectation()
        sensitive = expect.slot is not None and expect.slot.sensitive
        self._turns.append(MASK if sensitive else text)
        return self._act(interpret(text, expect))

    def _on_key(self, digit: str) -> list[Action]:
        self._source, self._confidence = "dtmf", 1.0
        slot = self._slot_def
        if slot is not None and not self._confirming:
            if digit == "*":
                self._keys = ""
                return self._act(Interpretation(intent="repeat"))
            if slot.dtmf and digit.isdigit():
                self._keys += digit
                if len(self._keys) < slot.bounds[1]:
                    return []
                self._swallow_hash = True
                return self._finish_keys()
            if slot.dtmf and digit == "#":
                return self._finish_keys()
        self._turns.append(f"[keypad {digit}]")
        if digit == "0":
            return self._act(Interpretation(intent="agent"))
        if digit == "*":
            return self._act(Interpretation(intent="repeat"))
        node = self._current
        if self._confirming or (node.collect and slot is None):  # a yes/no question
            answer = {"1": "yes", "2": "no"}.get(digit)
            return self._act(Interpretation(slot_value=answer))
        choices = list(node.on or {})
        if node.kind == "menu" and digit.isdigit() and int(digit) <= len(choices):
            return self._act(Interpretation(intent=choices[int(digit) - 1]))
        return self._act(Interpretation())

    def _finish_keys(self) -> list[Action]:
        keys, self._keys = self._keys, ""
        slot = self._slot_def
        assert slot is not None  # only called while collecting a digits slot
        self._turns.append(f"[keypad {MASK if slot.sensitive else keys}]")
        low, high = slot.bounds
        return self._act(Interpretation(slot_value=keys if low <= len(keys) <= high else None))

    def _on_no_input(self) -> list[Action]:
        if self._keys:  # the caller stopped keying: take what was keyed so far
            self._source = "dtmf"
            return self._finish_keys()
        self._source = "silence"
        self._no_input += 1
        self._record("no_input")
        if self._no_input >= self._current.max_retries:
            return self._give_up("no_input_limit")
        return self._ask_again(NO_INPUT, self._no_input, self._current.no_input_prompts)

    def _act(self, result: Interpretation) -> list[Action]:
        node = self._current
        if result.intent is not None:
            self._record("matched", intent=result.intent)
            self._no_match = self._no_input = 0
            if node.on and result.intent in node.on:
                self._intent = result.intent
                return self._enter(node.on[result.intent])
            return self._command(result.intent)
        if result.slot_value is not None:
            self._no_match = self._no_input = 0
            if self._confirming:
                return self._confirmed(result.slot_value == "yes")
            return self._filled(result.slot_value)
        self._no_match += 1
        self._record("no_match")
        if self._no_match >= node.max_retries:
            return self._give_up("no_match_limit")
        return self._ask_again(NO_MATCH, self._no_match, node.reprompts)

    def _command(self, intent: str) -> list[Action]:
        if intent == "repeat":
            return [*(Say(text) for text in self._last_said), Listen(self.expectation())]
        if intent == "agent":
            if "agent" in self.flow.nodes:
                return self._enter("agent", reason="caller_asked_for_agent")
            return [
                Say(TRANSFER_TO_AGENT),
                self._transfer(self.flow.default_queue, "caller_asked_for_agent"),
            ]
        if "goodbye" in self.flow.nodes:
            return self._enter("goodbye", reason="caller_said_goodbye")
        self.ended = "caller_said_goodbye"
        return [Say(GOODBYE), EndCall(self.ended)]

    def _filled(self, value: str) -> list[Action]:
        name = self._current.collect or ""
        self.slots[name] = value
        self._record("matched", slot=name, value=value)
        actions: list[Action] = [SetSlot(name, value, sensitive=self._sensitive(name))]
        slot = self.flow.slots[name]
        if isinstance(slot, DigitsSlot) and self._needs_read_back(slot):
            self._confirming = True
            return [*actions, *self._ask_again("")]
        return [*actions, *self._after_slot(value)]

    def _needs_read_back(self, slot: DigitsSlot) -> bool:
        if slot.confirm == "low_confidence":
            return self._source == "speech" and self._confidence < slot.confirm_below
        return slot.confirm == "always"

    def _confirmed(self, yes: bool) -> list[Action]:
        name = self._current.collect or ""
        self._record("matched", slot=f"confirm_{name}", value="yes" if yes else "no")
        self._confirming = False
        if yes:
            return self._after_slot(self.slots[name])
        del self.slots[name]
        # A rejected read-back is a failed attempt: without a limit a misheard caller loops.
        self._rejections += 1
        if self._rejections >= self._current.max_retries:
            return self._give_up("no_match_limit")
        return self._ask_again(RETRY_SLOT)

    def _after_slot(self, value: str) -> list[Action]:
        node = self._current
        if node.branch is not None:
            return self._enter(node.branch.yes if value == "yes" else node.branch.no)
        return self._enter(node.next or "")

    # -- leaving ----------------------------------------------------------------------------

    def _give_up(self, apology: str, reason: str | None = None) -> list[Action]:
        escape = self._current.on_max_retries
        if escape is not None and apology != "backend_fault":
            return self._enter(escape, reason=reason or apology)
        return [Say(APOLOGY[apology]), self._transfer(self.flow.default_queue, reason or apology)]

    def _transfer(self, queue: str, reason: str) -> Transfer:
        self.ended = reason
        handoff: dict[str, object] = {
            "call_sid": self.call_sid,
            "node": self._caller_node,
            "intent": self._intent,
            "slots": self.masked_slots(),
            "reason": reason,
            "recent_turns": list(self._turns),
        }
        return Transfer(queue=queue, reason=reason, handoff=handoff)

    def _sensitive(self, slot: str) -> bool:
        return bool(getattr(self.flow.slots.get(slot), "sensitive", False))

    def _record(
        self,
        outcome: Literal["matched", "no_match", "no_input"],
        intent: str | None = None,
        slot: str | None = None,
        value: str | None = None,
    ) -> None:
        if (
            value is not None
            and slot is not None
            and self._sensitive(slot.removeprefix("confirm_"))
        ):
            value = MASK
        self.last_turn = TurnRecord(self.node, self._source, outcome, intent, slot, value)
