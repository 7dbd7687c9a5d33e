"""The dialogue engine: a pure state machine that turns caller events into bot actions.

No I/O and no clock: the shell feeds events (`handle`) and carries out the actions returned
(including webhooks and FAQ answers, which come back as `WebhookResult` and `Answered`
events). The engine only dispatches: one call's state is a `CallState`, and each concern is a
module of functions that take it and return actions:

    caller_turns   speech, keypad, silence       acting        an understood turn → actions
    emotion        crisis, escalation, openers   answers       FAQ questions in answer nodes
    commands       repeat, help, agent, goodbye  confirmation  yes/no to a read-back
    filling        slot rules, storing, routing  retries       failed turns, giving up
    nodes          entering nodes, routes        lookups       webhook requests and answers
    replies        the node's words, read-backs  expectations  what the recogniser expects
    handoff        the transfer packet           wording       every default sentence
"""

from __future__ import annotations

from datetime import date

from voicebot.dialogue.actions import (
    Action,
    Answered,
    BackendFault,
    CallStarted,
    DtmfDigit,
    Event,
    Expectation,
    HangUp,
    NoInput,
    SetSlot,
    Utterance,
    WebhookResult,
)
from voicebot.dialogue.answers import answered
from voicebot.dialogue.caller_turns import on_key, on_no_input, on_speech
from voicebot.dialogue.expectations import expectation
from voicebot.dialogue.filling import rule_refused, validate
from voicebot.dialogue.lookups import fills, rule_passed
from voicebot.dialogue.nodes import enter, give_up, route
from voicebot.dialogue.state import CallState, TurnRecord
from voicebot.dialogue.understanding import interpret, interpret_open
from voicebot.exceptions import FlowError
from voicebot.flows.checks import check_flow
from voicebot.flows.emotion_policy import EmotionPolicyState
from voicebot.flows.flow import Flow
from voicebot.language.words import normalise


class DialogueEngine:
    """Runs one call through one flow. `handle(event)` returns the actions to carry out, in
    order; an empty list means "keep listening with the same expectation"."""

    def __init__(
        self,
        flow: Flow,
        *,
        call_sid: str = "",
        caller: str | None = None,
        today: date | None = None,
    ) -> None:
        problems = check_flow(flow)
        if problems:
            # Flows normally come through the loader, which reports positions; this guards
            # flows built in code so the engine never meets a dangling reference mid-call.
            raise FlowError([f"{flow.flow}: {p.code}: {p.message}" for p in problems])
        self.state = CallState(flow, call_sid, caller, today or date.today())

    def handle(self, event: Event) -> list[Action]:
        """Advance the call by one event."""
        state = self.state
        state.last_turn = None
        state.entered = []
        # Callers often press # after a fixed-length entry that already completed by itself.
        swallow_hash, state.swallow_hash = state.swallow_hash, False
        if swallow_hash and isinstance(event, DtmfDigit) and event.digit == "#":
            return []
        if state.ended is not None:
            return []
        if isinstance(event, HangUp):
            state.ended = event.reason
            return []
        if isinstance(event, CallStarted):
            if state.started:
                return []
            state.started = True
            state.caller = event.caller or state.caller
            return enter(state, state.flow.start_node)
        if not state.started:
            return []
        if isinstance(event, BackendFault):
            state.pending = None
            return give_up(state, "backend_fault", reason=f"backend_fault:{event.stage}")
        if isinstance(event, WebhookResult):
            return self._on_webhook(event)
        if isinstance(event, Answered):
            return answered(state, event)
        if state.pending is not None:
            return []  # the caller speaks while a lookup runs: its answer decides what next
        if isinstance(event, Utterance):
            return on_speech(state, event)
        if isinstance(event, DtmfDigit):
            return on_key(state, event.digit)
        if isinstance(event, NoInput):
            return on_no_input(state)
        raise TypeError(f"not a dialogue event: {event!r}")

    def expectation(self) -> Expectation:
        """What the current node can understand (the recogniser's grammar)."""
        return expectation(self.state)

    def understands(self, turn: str | Utterance) -> bool:
        """Whether the current node understands the turn without help (for the LLM fallback):
        an open-vocabulary turn only if the matcher is sure of it or the slot parses."""
        text = turn if isinstance(turn, str) else turn.text
        if self.state.current.kind == "answer" and self.state.check is None:
            return bool(normalise(text))  # any question: the FAQ lookup decides
        if isinstance(turn, Utterance) and turn.open_vocabulary:
            found = interpret_open(text, self.expectation(), turn.match, self.state.today)
            return found.slot_value is not None or (found.intent is not None and found.sure)
        result = interpret(text, self.expectation(), self.state.today)
        return result.intent is not None or result.slot_value is not None

    @property
    def pending_check(self) -> str | None:
        """The intent (or "crisis") the bot asked the caller to confirm, if it waits for it."""
        return self.state.check

    def masked_slots(self) -> dict[str, str]:
        """Slot values safe for logs and hand-offs: sensitive ones replaced by "****"."""
        return self.state.masked_slots()

    # -- what the shell reads ---------------------------------------------------------------

    @property
    def flow(self) -> Flow:
        return self.state.flow

    @property
    def call_sid(self) -> str:
        return self.state.call_sid

    @property
    def caller(self) -> str | None:
        return self.state.caller

    @property
    def today(self) -> date:
        """Dates ("next Tuesday") and date conditions are relative to this."""
        return self.state.today

    @property
    def node(self) -> str:
        return self.state.node

    @property
    def slots(self) -> dict[str, str]:
        """Raw slot values: for the engine and the flow's own logic only, never for logs."""
        return self.state.slots

    @property
    def ended(self) -> str | None:
        """Why the call ended (EndCall/Transfer/HangUp reason); None while it runs."""
        return self.state.ended

    @property
    def entered(self) -> tuple[str, ...]:
        """The nodes the last `handle` entered, in order (say nodes chained through included):
        the call's path for the record."""
        return tuple(self.state.entered)

    @property
    def last_turn(self) -> TurnRecord | None:
        """The caller turn the last `handle` completed, or None if it completed none."""
        return self.state.last_turn

    @property
    def call_facts(self) -> dict[str, object]:
        """Names conditions can read besides slots; the emotion tracker updates these."""
        return self.state.call_facts

    @property
    def mood(self) -> EmotionPolicyState:
        """The caller's emotion as the flow's policy sees it (openers, escalation, voice)."""
        return self.state.mood

    @property
    def emotion_history(self) -> list[dict[str, object]]:
        """Per speech turn: node, label, intensity, score; for the record and the hand-off."""
        return self.state.emotion_history

    # -- events that answer the engine's own requests ---------------------------------------

    def _on_webhook(self, result: WebhookResult) -> list[Action]:
        state = self.state
        pending, state.pending = state.pending, None
        if pending is None:
            return []  # a late answer to a lookup already given up on
        node = state.current
        if pending.purpose == "rule":
            if result.ok and rule_passed(result.data):
                return validate(state, pending.value, pending.rule + 1)
            return rule_refused(state, pending.rule)
        assert node.webhook is not None  # a node lookup is only pending in a webhook node
        filled = fills(state, node.webhook, result.data) if result.ok else None
        if filled is None:
            if node.on_failure is not None:
                fault = "backend_fault:webhook" if result.backend_fault else None
                return enter(state, node.on_failure, fault=fault)
            return give_up(state, "backend_fault", reason="backend_fault:webhook")
        actions: list[Action] = []
        for name, value in filled.items():
            state.slots[name] = value
            actions.append(SetSlot(name, value, sensitive=state.sensitive(name)))
        return [*actions, *enter(state, route(state, node))]
