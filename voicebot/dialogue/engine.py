"""The dialogue engine: a pure state machine that turns caller events into bot actions.

No I/O and no clock: the shell feeds events (`handle`) and carries out the actions returned
(including webhooks and FAQ answers, which come back as `WebhookResult` and `Answered`
events).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from voicebot.dialogue.actions import (
    Action,
    Answered,
    AskKnowledge,
    BackendFault,
    CallStarted,
    CallWebhook,
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
    WebhookResult,
)
from voicebot.dialogue.keypad import KeypadEntry, keypad_entry
from voicebot.dialogue.slots import read_back
from voicebot.dialogue.understanding import (
    Interpretation,
    interpret,
    match_intent,
    parse_expected,
)
from voicebot.exceptions import FlowError
from voicebot.flows.conditions import evaluate
from voicebot.flows.emotion_policy import EmotionPolicyState, Estimate
from voicebot.flows.flow import Flow, Node, check_flow
from voicebot.flows.slot_types import (
    AnySlot,
    ChoiceSlot,
    ConfirmableSlot,
    CurrencySlot,
    DigitsSlot,
    FreeTextSlot,
    Rule,
)
from voicebot.flows.webhooks import Webhook, as_slot_text, pick
from voicebot.language.commands import GLOBAL_INTENTS
from voicebot.language.words import normalise

MASK = "****"
NO_MATCH = "Sorry, I didn't catch that. "
NO_INPUT = "Sorry, I didn't hear anything. "
RETRY_SLOT = "Sorry about that, let's try again. "
TRANSFER_TO_AGENT = "Of course. Let me put you through to one of my colleagues."
GOODBYE = "Thanks for calling. Goodbye."
KEYPAD_HINT = " You can also use your phone's keypad."
OFFER_AGENT = " Or say agent to talk to a person."
_DEFAULT_CRISIS_SAY = (
    "I'm going to connect you to someone right now who can help. Please stay on the line."
)
APOLOGY = {
    "no_match_limit": "I'm sorry, I'm having trouble understanding. "
    "Let me put you through to one of my colleagues.",
    "no_input_limit": "I'm sorry, I can't hear you. "
    "Let me put you through to one of my colleagues.",
    "backend_fault": "I'm sorry, something went wrong on our side. "
    "Let me put you through to one of my colleagues.",
}
RECENT_TURNS = 3
LOW_CONFIDENCE = 0.5
"""Recognition confidence under which a failed turn counts as the recogniser's doubt."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class TurnRecord:
    """What one caller turn did, for the call record; sensitive values are already masked."""

    node: str
    source: Literal["speech", "dtmf", "silence"]
    outcome: Literal["matched", "no_match", "no_input", "invalid"]
    intent: str | None = None
    slot: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class _Pending:
    """A webhook the engine is waiting on: a node's lookup, or a slot's validation rule."""

    purpose: Literal["node", "rule", "answer"]
    rule: int = 0
    value: str = ""


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
        self.flow = flow
        self.call_sid = call_sid
        self.caller = caller
        self.today = today or date.today()
        """Dates ("next Tuesday") and date conditions are relative to this."""
        self.node: str = flow.start_node
        self.slots: dict[str, str] = {}
        """Raw slot values: for the engine and the flow's own logic only, never for logs."""
        self.ended: str | None = None
        """Why the call ended (EndCall/Transfer/HangUp reason); None while it runs."""
        self.last_turn: TurnRecord | None = None
        """The caller turn the last `handle` completed, or None if it completed none."""
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
        self._globals = {
            name: tuple(normalise(p) for p in phrases)
            + tuple(normalise(p) for p in _phrases(flow, name))
            for name, phrases in GLOBAL_INTENTS.items()
        }
        self._started = False
        self._intent: str | None = None
        self._confirming = False
        self._confidence = 1.0
        self._keys = ""
        self._pending: _Pending | None = None
        self._no_match = self._no_input = self._rejections = self._unsure = 0
        self._last_said: tuple[Say, ...] = ()
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
            self.caller = event.caller or self.caller
            return self._enter(self.flow.start_node)
        if not self._started:
            return []
        if isinstance(event, BackendFault):
            self._pending = None
            return self._give_up("backend_fault", reason=f"backend_fault:{event.stage}")
        if isinstance(event, WebhookResult):
            return self._on_webhook(event)
        if isinstance(event, Answered):
            return self._on_answered(event)
        if self._pending is not None:
            return []  # the caller speaks while a lookup runs: its answer decides what next
        if isinstance(event, Utterance):
            return self._on_speech(event)
        if isinstance(event, DtmfDigit):
            return self._on_key(event.digit)
        if isinstance(event, NoInput):
            return self._on_no_input()
        raise TypeError(f"not a dialogue event: {event!r}")

    def expectation(self) -> Expectation:
        """What the current node can understand (the recogniser's grammar)."""
        node = self._current
        intents = {
            name: self._globals.get(name) or tuple(normalise(p) for p in _phrases(self.flow, name))
            for name in (node.on or {})
        }
        intents.update({k: v for k, v in self._globals.items() if k not in intents})
        slot = self._slot_expectation(node)
        keypad = self._keypad()
        return Expectation(
            node=self.node,
            intents=intents,
            slot=slot,
            dtmf=node.kind == "menu" or keypad is not None,
            # Spelled e-mail addresses defeat grammar decoding (seconds per turn, rarely
            # right); the open-vocabulary path at least answers in time.
            free_speech=slot is not None and slot.type in ("free_text", "email"),
            questions=_questions(node),
            no_input_timeout=node.no_input_timeout,
        )

    def understands(self, text: str) -> bool:
        """Whether the current node understands `text` without help (for the LLM fallback)."""
        if self._current.kind == "answer":
            return bool(normalise(text))  # any question: the FAQ lookup decides
        result = interpret(text, self.expectation(), self.today)
        return result.intent is not None or result.slot_value is not None

    def masked_slots(self) -> dict[str, str]:
        """Slot values safe for logs and hand-offs: sensitive ones replaced by "****"."""
        return {name: MASK if self._sensitive(name) else v for name, v in self.slots.items()}

    # -- entering nodes ---------------------------------------------------------------------

    @property
    def _current(self) -> Node:
        return self.flow.nodes[self.node]

    @property
    def _slot_def(self) -> AnySlot | None:
        return self.flow.slots.get(self._current.collect or "")

    def _enter(self, name: str, reason: str | None = None) -> list[Action]:
        """Go to `name`, chaining through say nodes; `reason` overrides how the call ends."""
        actions: list[Action] = []
        said: list[Say] = []
        for _ in range(len(self.flow.nodes) + 1):  # check_flow rules out say-node loops
            node = self.flow.nodes[name]
            self.node = name
            self._confirming, self._keys = False, ""
            self._no_match = self._no_input = self._rejections = self._unsure = 0
            words = self._words(node, node.say)
            if words and node.kind != "menu":
                said.append(self._say(words))
                actions.append(said[-1])
            if node.kind == "say":
                name = self._route(node)
                continue
            if node.kind == "webhook" and node.webhook is not None:
                self._pending = _Pending("node")
                return [*actions, self._call(node.webhook, node.webhook.send)]
            if node.kind == "transfer":
                return [*actions, self._transfer(node.transfer or "", reason or "flow_transfer")]
            if node.kind == "hangup":
                self.ended = reason or "completed"
                return [*actions, EndCall(self.ended)]
            prompt = self._say(self._prompt())
            self._last_said = (*said, prompt)
            self._caller_node = name
            return [*actions, prompt, Listen(self.expectation())]
        raise RuntimeError(f"flow {self.flow.flow} chains say nodes without end at {name!r}")

    def _route(self, node: Node) -> str:
        """The first `if` route whose condition holds, else `next`."""
        names = self._condition_names()
        for route in node.if_:
            if evaluate(route.when, names):
                return route.goto
        return node.next or ""

    def _words(self, node: Node, default: str | None) -> str | None:
        """`default` (say or prompt), or the first `say_if` variant whose condition holds, or
        for an impatient caller the menu's short form."""
        if node.say_if:
            names = self._condition_names()
            for variant in node.say_if:
                if evaluate(variant.when, names):
                    return variant.say
        if node.kind == "menu" and self.flow.emotion.shorten_menus and self.mood.impatient:
            if node.short_say:
                return node.short_say
            choices = [_phrases(self.flow, intent)[0] for intent in node.on or {}]
            return "Say " + ", ".join(choices) + ", or agent."
        return default

    def _condition_names(self) -> dict[str, object]:
        names: dict[str, object] = {name: None for name in self.flow.slots}
        for name, value in self.slots.items():
            names[name] = _typed(self.flow.slots[name], value)
        names.update(self.call_facts)
        names.update(
            intent=self._intent,
            caller=self.caller,
            today=self.today.isoformat(),
            retries=self._no_match + self._no_input,
        )
        return names

    def _say(self, text: str) -> Say:
        """A Say with `{slot}` placeholders read out; private if a sensitive value is in it."""
        private = False

        def fill(match: re.Match[str]) -> str:
            nonlocal private
            name = match.group(1)
            if name not in self.slots:
                return ""
            private = private or self._sensitive(name)
            return self._read_back(name, self.slots[name])

        return Say(_PLACEHOLDER.sub(fill, text), style=self.mood.style(), private=private)

    def _read_back(self, name: str, value: str) -> str:
        slot = self.flow.slots[name]
        currency = slot.currency if isinstance(slot, CurrencySlot) else "GBP"
        return read_back(slot.type, value, currency=currency, today=self.today)

    def _prompt(self) -> str:
        node = self._current
        if self._confirming:
            name = node.collect or ""
            return f"I heard {self._read_back(name, self.slots[name])}. Is that right?"
        words = node.prompt if node.kind in ("collect", "answer") else node.say
        return self._words(node, words) or ""

    def _ask_again(
        self, prefix: str, attempt: int = 0, reprompts: list[str] | None = None
    ) -> list[Action]:
        """Ask the node's question again: the flow's reprompt for this attempt (1st, 2nd…,
        the last reused) if it has them, otherwise `prefix` and the prompt."""
        prompt = self._say(self._prompt())
        self._last_said = (prompt,)
        if reprompts and attempt > 0:
            text = reprompts[min(attempt, len(reprompts)) - 1]
            return [self._say(text), Listen(self.expectation())]
        return [self._say(prefix + prompt.text), Listen(self.expectation())]

    def _slot_expectation(self, node: Node) -> SlotExpectation | None:
        name = node.collect
        slot = self.flow.slots.get(name or "")
        if name is None or slot is None:
            return None
        if self._confirming:
            return SlotExpectation(f"confirm_{name}", "yes_no", sensitive=slot.sensitive)
        return _expect_slot(name, slot)

    def _keypad(self) -> KeypadEntry | None:
        slot = self._slot_def
        if slot is None:
            return None
        if self._confirming:
            return keypad_entry(None)
        return keypad_entry(slot)

    # -- caller turns -----------------------------------------------------------------------

    def _on_speech(self, utterance: Utterance) -> list[Action]:
        self._source, self._keys = "speech", ""
        self._confidence = utterance.confidence
        expect = self.expectation()
        sensitive = expect.slot is not None and expect.slot.sensitive
        self._turns.append(MASK if sensitive else utterance.text)
        if utterance.emotion is not None:
            crisis_or_escalation = self._feel(utterance.emotion)
            if crisis_or_escalation:
                return crisis_or_escalation
        actions = self._understand(utterance, expect)
        opener = self.mood.opener() if any(isinstance(a, Say) for a in actions) else None
        if opener is not None and self.ended is None:
            actions.insert(0, self._say(opener))
        return actions

    def _feel(self, estimate: Estimate) -> list[Action]:
        """Take the turn's emotion; the crisis route or an escalation transfer if it calls
        for one (before anything the caller said is acted on)."""
        self.emotion_history.append(
            {
                "node": self.node,
                "label": estimate.label,
                "intensity": round(estimate.intensity, 2),
                "score": round(estimate.score, 2),
            }
        )
        self.call_facts.update(
            emotion=estimate.label,
            emotion_intensity=estimate.intensity,
            emotion_score=estimate.score,
        )
        rule = self.mood.observe(estimate)
        if estimate.crisis:
            crisis = self.flow.emotion.crisis
            queue = crisis.queue if crisis is not None else self.flow.default_queue
            words = crisis.say if crisis is not None else _DEFAULT_CRISIS_SAY
            self._record("matched", intent="crisis")
            return [Say(words, style="anxious"), self._transfer(queue, "crisis")]
        if rule is not None:
            self._record("matched", intent="emotion_escalation")
            return [self._say(rule.say), self._transfer(rule.queue, "emotion_escalation")]
        return []

    def _understand(self, utterance: Utterance, expect: Expectation) -> list[Action]:
        if self._current.kind == "answer":
            return self._question(utterance.text, expect)
        if utterance.intent is None and utterance.slot_text is None:
            return self._act(interpret(utterance.text, expect, self.today))
        # Understood elsewhere (the LLM): trust only what this node could have understood.
        if utterance.intent is not None and utterance.intent in expect.intents:
            return self._act(Interpretation(intent=utterance.intent))
        if utterance.slot_text is not None and expect.slot is not None:
            value = parse_expected(utterance.slot_text, expect.slot, self.today)
            return self._act(Interpretation(slot_value=value))
        return self._act(Interpretation())

    def _on_key(self, digit: str) -> list[Action]:
        self._source, self._confidence = "dtmf", 1.0
        entry = self._keypad()
        if entry is not None and entry.mode == "keys":
            if digit == "*" and not (entry.star_is_point and self._keys):
                self._keys = ""
                return self._act(Interpretation(intent="repeat"))
            if digit.isdigit() or digit == "*":
                self._keys += "." if digit == "*" else digit
                if len(self._keys) < entry.max_keys:
                    return []
                self._swallow_hash = True
                return self._finish_keys()
            if digit == "#":
                return self._finish_keys()
        self._turns.append(f"[keypad {digit}]")
        if digit == "0":
            return self._act(Interpretation(intent="agent"))
        if digit == "*":
            return self._act(Interpretation(intent="repeat"))
        node = self._current
        if entry is not None and entry.mode == "yes_no":
            return self._act(Interpretation(slot_value={"1": "yes", "2": "no"}.get(digit)))
        choices = list(node.on or {})
        if isinstance(self._slot_def, ChoiceSlot) and entry is not None:
            choices = list(self._slot_def.options)
        if digit.isdigit() and 1 <= int(digit) <= len(choices):
            choice = choices[int(digit) - 1]
            if node.kind == "menu":
                return self._act(Interpretation(intent=choice))
            return self._act(Interpretation(slot_value=choice))
        return self._act(Interpretation())

    def _finish_keys(self) -> list[Action]:
        keys, self._keys = self._keys, ""
        slot, entry = self._slot_def, self._keypad()
        assert slot is not None and entry is not None  # only called while keying a slot
        self._turns.append(f"[keypad {MASK if slot.sensitive else keys}]")
        expect = _expect_slot(self._current.collect or "", slot)
        text = entry.as_text(keys)
        value = parse_expected(text, expect, self.today) if text is not None else None
        return self._act(Interpretation(slot_value=value))

    def _on_no_input(self) -> list[Action]:
        if self._keys:  # the caller stopped keying: take what was keyed so far
            self._source = "dtmf"
            return self._finish_keys()
        self._source = "silence"
        self._no_input += 1
        self._record("no_input")
        if self._no_input >= self._retry_limit():
            return self._give_up("no_input_limit")
        return self._offer_agent(
            self._ask_again(NO_INPUT, self._no_input, self._current.no_input_prompts)
        )

    def _retry_limit(self) -> int:
        """The node's limit; one less for an impatient caller (the policy offers a human
        sooner), but never below two: one mishearing should not end the conversation."""
        limit = self._current.max_retries
        if self.flow.emotion.offer_agent_sooner and self.mood.impatient:
            return max(min(limit, 2), limit - 1)
        return limit

    def _offer_agent(self, actions: list[Action]) -> list[Action]:
        """An impatient caller's reprompt ends by saying a person is one word away."""
        if not (self.flow.emotion.offer_agent_sooner and self.mood.impatient):
            return actions
        return [
            replace(a, text=a.text + OFFER_AGENT) if isinstance(a, Say) and i == 0 else a
            for i, a in enumerate(actions)
        ]

    def _act(self, result: Interpretation) -> list[Action]:
        node = self._current
        if result.intent is not None:
            self._record("matched", intent=result.intent)
            self._no_match = self._no_input = self._unsure = 0
            if node.on and result.intent in node.on:
                self._intent = result.intent
                return self._enter(node.on[result.intent])
            if result.intent in node.commands:
                return self._enter(node.commands[result.intent], reason=_reason(result.intent))
            return self._command(result.intent)
        if result.slot_value is not None:
            # Counters reset once the value passes its rules (`_filled`), not before: a value
            # the rules refuse is a failed attempt like a no-match.
            self._no_input = 0
            if self._confirming:
                self._no_match = 0
                return self._confirmed(result.slot_value == "yes")
            return self._validate(result.slot_value, 0)
        return self._failed_attempt("no_match", node.reprompts)

    def _failed_attempt(
        self, outcome: Literal["no_match", "invalid"], reprompts: list[str], slot: str | None = None
    ) -> list[Action]:
        self._no_match += 1
        node = self._current
        if node.collect and self._source == "speech" and self._confidence < LOW_CONFIDENCE:
            self._unsure += 1
        self._record(outcome, slot=slot)
        if self._no_match >= self._retry_limit():
            # Every failed attempt was speech the recogniser was unsure of: the caller may
            # well have answered, so the hand-off says recognition failed, not the caller.
            if node.collect and self._unsure >= self._no_match:
                return self._give_up("no_match_limit", reason=f"low_confidence:{node.collect}")
            return self._give_up("no_match_limit")
        return self._offer_agent(self._ask_again(NO_MATCH, self._no_match, reprompts))

    def _command(self, intent: str) -> list[Action]:
        node = self._current
        if intent == "repeat":
            return [*self._last_said, Listen(self.expectation())]
        if intent == "help":
            help_text = self._say(node.help) if node.help else self._default_help()
            return [help_text, Listen(self.expectation())]
        if intent == "start_over":
            self.slots.clear()
            self._intent = None
            return self._enter(self.flow.start_node)
        if intent == "agent":
            if "agent" in self.flow.nodes:
                return self._enter("agent", reason="caller_asked_for_agent")
            return [
                self._say(TRANSFER_TO_AGENT),
                self._transfer(self.flow.default_queue, "caller_asked_for_agent"),
            ]
        if "goodbye" in self.flow.nodes:
            return self._enter("goodbye", reason="caller_said_goodbye")
        self.ended = "caller_said_goodbye"
        return [self._say(GOODBYE), EndCall(self.ended)]

    def _default_help(self) -> Say:
        node = self._current
        if node.kind == "menu":
            choices = [
                f"{_phrases(self.flow, intent)[0]}, press {i}"
                for i, intent in enumerate(node.on or {}, start=1)
            ]
            text = "You can say " + "; ".join(choices) + ". Or say agent to talk to a person."
            return self._say(text)
        hint = KEYPAD_HINT if self._keypad() is not None else ""
        return self._say(self._prompt() + hint + " Or say agent to talk to a person.")

    # -- slots ------------------------------------------------------------------------------

    def _validate(self, value: str, first_rule: int) -> list[Action]:
        """Check `value` against the slot's rules from `first_rule` on, then store it."""
        name = self._current.collect or ""
        slot = self.flow.slots[name]
        if isinstance(slot, FreeTextSlot):
            value = value[: slot.max_chars]
        for i, rule in enumerate(slot.checks[first_rule:], start=first_rule):
            if not self._passes(rule, slot, value):
                return self._failed_attempt("invalid", [rule.reprompt], slot=name)
            if rule.webhook is not None:
                self._pending = _Pending("rule", i, value)
                return [self._call(rule.webhook, [name], extra={name: value})]
        return self._filled(value)

    def _passes(self, rule: Rule, slot: AnySlot, value: str) -> bool:
        length = len(value)
        if rule.min_length is not None and length < rule.min_length:
            return False
        if rule.max_length is not None and length > rule.max_length:
            return False
        if rule.min is not None or rule.max is not None:
            number = _number(value)
            if number is None:
                return False
            if (rule.min is not None and number < rule.min) or (
                rule.max is not None and number > rule.max
            ):
                return False
        if rule.earliest_days is not None or rule.latest_days is not None:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                return False
            if rule.earliest_days is not None and day < self.today + timedelta(
                days=rule.earliest_days
            ):
                return False
            if rule.latest_days is not None and day > self.today + timedelta(days=rule.latest_days):
                return False
        return rule.regex is None or re.fullmatch(rule.regex, value) is not None

    def _filled(self, value: str) -> list[Action]:
        name = self._current.collect or ""
        self._no_match = self._unsure = 0
        self.slots[name] = value
        self._record("matched", slot=name, value=value)
        actions: list[Action] = [SetSlot(name, value, sensitive=self._sensitive(name))]
        slot = self.flow.slots[name]
        if isinstance(slot, ConfirmableSlot) and self._needs_read_back(slot):
            self._confirming = True
            return [*actions, *self._ask_again("")]
        return [*actions, *self._after_slot(value)]

    def _needs_read_back(self, slot: ConfirmableSlot) -> bool:
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
            # The recogniser kept mishearing a required value: say so in the hand-off.
            return self._give_up("no_match_limit", reason=f"low_confidence:{name}")
        return self._ask_again(RETRY_SLOT)

    def _after_slot(self, value: str) -> list[Action]:
        node = self._current
        for route in node.if_:
            if evaluate(route.when, self._condition_names()):
                return self._enter(route.goto)
        if node.branch is not None:
            return self._enter(node.branch.yes if value == "yes" else node.branch.no)
        return self._enter(node.next or "")

    # -- webhooks ---------------------------------------------------------------------------

    def _call(
        self, hook: Webhook, send: list[str], extra: dict[str, str] | None = None
    ) -> CallWebhook:
        payload = {name: self.slots[name] for name in send if name in self.slots}
        payload.update(extra or {})
        return CallWebhook(
            url=hook.url,
            method=hook.method,
            payload=payload,
            timeout=hook.timeout,
            headers=dict(hook.headers),
            private=any(self._sensitive(name) for name in payload),
        )

    def _on_webhook(self, result: WebhookResult) -> list[Action]:
        pending, self._pending = self._pending, None
        if pending is None:
            return []  # a late answer to a lookup already given up on
        node = self._current
        if pending.purpose == "rule":
            slot = self.flow.slots[node.collect or ""]
            if result.ok and pick(result.data, "valid") is True:
                return self._validate(pending.value, pending.rule + 1)
            return self._failed_attempt(
                "invalid", [slot.checks[pending.rule].reprompt], slot=node.collect
            )
        assert node.webhook is not None  # a node lookup is only pending in a webhook node
        filled = self._fills(node.webhook, result.data) if result.ok else None
        if filled is None:
            if node.on_failure is not None:
                return self._enter(node.on_failure)
            return self._give_up("backend_fault", reason="backend_fault:webhook")
        actions: list[Action] = []
        for name, value in filled.items():
            self.slots[name] = value
            actions.append(SetSlot(name, value, sensitive=self._sensitive(name)))
        return [*actions, *self._enter(self._route(node))]

    def _fills(self, hook: Webhook, data: object) -> dict[str, str] | None:
        """Slot values read from the answer, each through its slot's parser; None if any is
        missing or unreadable (a lookup that half worked is not trusted)."""
        values: dict[str, str] = {}
        for name, path in hook.fills.items():
            text = as_slot_text(pick(data, path))
            slot = self.flow.slots[name]
            value = parse_expected(text, _expect_slot(name, slot), self.today) if text else None
            if value is None:
                return None
            values[name] = value
        return values

    # -- answers from the flow's FAQ -------------------------------------------------------

    def _question(self, text: str, expect: Expectation) -> list[Action]:
        """A turn in an answer node: a command only if it is nothing but one ("agent"), else
        a question for the FAQ entries."""
        command = match_intent(text, expect.intents, exact=True)
        if command is not None or not normalise(text):
            return self._act(Interpretation(intent=command))
        spec = self._current.answer
        assert spec is not None  # only called in answer nodes
        entries = spec.knowledge.relevant(text, spec.min_relevance)
        if not entries:
            return self._no_answer()
        self._pending = _Pending("answer")
        return [AskKnowledge(question=text, entries=tuple(entries))]

    def _on_answered(self, answer: Answered) -> list[Action]:
        pending, self._pending = self._pending, None
        if pending is None or pending.purpose != "answer":
            return []  # an answer nobody waits for (the call moved on)
        if answer.entry_id is None:
            return self._no_answer()
        self._no_match = self._no_input = 0
        self._record("matched", intent=f"answer:{answer.entry_id}")
        node = self._current
        said = Say(answer.text, style=self.mood.style())  # FAQ words, not a template
        return [said, *self._enter(self._route(node))]

    def _no_answer(self) -> list[Action]:
        node = self._current
        assert node.answer is not None
        self._record("matched", intent="answer:none")
        said = self._say(node.answer.no_answer)
        if node.on_no_answer is not None:
            return [said, *self._enter(node.on_no_answer)]
        return [said, *self._command("agent")]

    # -- leaving ----------------------------------------------------------------------------

    def _give_up(self, apology: str, reason: str | None = None) -> list[Action]:
        escape = self._current.on_max_retries
        if escape is not None and apology != "backend_fault":
            return self._enter(escape, reason=reason or apology)
        return [
            self._say(APOLOGY[apology]),
            self._transfer(self.flow.default_queue, reason or apology),
        ]

    def _transfer(self, queue: str, reason: str) -> Transfer:
        self.ended = reason
        handoff: dict[str, object] = {
            "call_sid": self.call_sid,
            "node": self._caller_node,
            "intent": self._intent,
            "slots": self.masked_slots(),
            "reason": reason,
            "recent_turns": list(self._turns),
            "emotion": list(self.emotion_history),
        }
        return Transfer(queue=queue, reason=reason, handoff=handoff)

    def _sensitive(self, slot: str) -> bool:
        return bool(getattr(self.flow.slots.get(slot), "sensitive", False))

    def _record(
        self,
        outcome: Literal["matched", "no_match", "no_input", "invalid"],
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


def _phrases(flow: Flow, intent: str) -> list[str]:
    found = flow.intents.get(intent)
    return found.phrases() if found is not None else list(GLOBAL_INTENTS.get(intent, ()))


def _questions(node: Node) -> tuple[str, ...]:
    """An answer node's FAQ questions and keywords, for the recogniser."""
    if node.answer is None:
        return ()
    entries = node.answer.knowledge.entries
    found = [normalise(e.question) for e in entries] + [
        normalise(k) for e in entries for k in e.keywords
    ]
    return tuple(dict.fromkeys(q for q in found if q))


def _reason(command: str) -> str | None:
    return {"agent": "caller_asked_for_agent", "goodbye": "caller_said_goodbye"}.get(command)


def _expect_slot(name: str, slot: AnySlot) -> SlotExpectation:
    if isinstance(slot, DigitsSlot):
        low, high = slot.bounds
        return SlotExpectation(name, "digits", low, high, sensitive=slot.sensitive)
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if isinstance(slot, ChoiceSlot):
        options = tuple((value, tuple(synonyms)) for value, synonyms in slot.options.items())
    currency = slot.currency if isinstance(slot, CurrencySlot) else "GBP"
    return SlotExpectation(
        name, slot.type, sensitive=slot.sensitive, options=options, currency=currency
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _typed(slot: AnySlot, value: str) -> object:
    """Slot values as conditions compare them: numbers and amounts as numbers."""
    if slot.type in ("number", "currency"):
        number = _number(value)
        return value if number is None else number
    return value
