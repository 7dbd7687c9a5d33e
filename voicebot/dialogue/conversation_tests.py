"""Conversation tests for flows, written in YAML beside them and run through the engine as text.

flow: acme_support
tests:
  balance_by_voice:
    steps:
      - caller: "check my balance"      # or keys: "1234#", or silence: true
        node: collect_account           # expectations, all optional
        bot_says: "account number"      # a part of what the bot says in reply
    outcome: completed                  # how the call ends (completed, transferred, …)
    queue: general                      # for a transfer
    slots: {account_number: "12345678"}
    webhooks:                           # answers to the flow's webhooks, by node name
      lookup_balance: {json: {balance: "42.10"}}   # or {fail: "timeout"}
today: 2026-11-21                       # what "today" is for date slots (default: real today)
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voicebot.dialogue.actions import (
    Action,
    Answered,
    AskKnowledge,
    CallStarted,
    CallWebhook,
    DtmfDigit,
    EndCall,
    Event,
    NoInput,
    Say,
    Transfer,
    Utterance,
    WebhookResult,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.exceptions import FlowError
from voicebot.flows.emotion_policy import Estimate, Label
from voicebot.flows.flow import Flow
from voicebot.flows.loader import FlowYamlLoader

STEP_INTENSITY = 0.9

# A flow's own top-level keys: a file with them and no `tests:` is a flow given by mistake.
_FLOW_KEYS = re.compile(r"^(nodes|intents|queues):", re.M)
_TESTS_KEY = re.compile(r"^tests:", re.M)

# Webhook nodes can lead to webhook nodes; a test that answers them in a circle must stop.
MAX_WEBHOOKS_PER_TURN = 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookReply(_Model):
    """How the support centre's system answers a webhook in a test."""

    json_: object = Field(default=None, alias="json")
    """The JSON answer."""
    fail: str | None = None
    """Fail instead, with this reason (e.g. "timeout")."""


class Step(_Model):
    """One caller turn and what should follow it."""

    caller: str | None = None
    """What the caller says (as the recogniser would transcribe it)."""
    confidence: float = Field(default=1.0, ge=0, le=1)
    """How sure the recogniser was of `caller` (for `confirm: low_confidence` slots)."""
    keys: str | None = None
    """Keypad presses, e.g. "1234#"."""
    silence: bool = False
    """The caller says nothing until the node's no-input timeout."""
    node: str | None = None
    """The node the call is in after this turn."""
    bot_says: str | None = None
    """A part of what the bot says in reply (case-insensitive)."""
    emotion: Label | None = None
    """The caller's emotion in this spoken turn (intensity 0.9): for `emotion` conditions and
    the flow's emotion policy."""
    webhook: WebhookReply | None = None
    """The answer to a webhook this turn leads to (overrides the test's `webhooks`)."""

    @model_validator(mode="after")
    def _one_input(self) -> Step:
        if sum((self.caller is not None, self.keys is not None, self.silence)) != 1:
            raise ValueError("a step needs exactly one of caller, keys or silence")
        return self


class FlowTest(_Model):
    steps: list[Step] = Field(default_factory=list)
    greeting: str | None = None
    """A part of what the bot says when the call starts."""
    outcome: str | None = None
    """How the call ends: completed, transferred, caller_said_goodbye… (None: still running)."""
    queue: str | None = None
    """The queue a transferred call went to."""
    slots: dict[str, str] = Field(default_factory=dict)
    """Slot values at the end of the test (sensitive ones unmasked: this is the engine)."""
    webhooks: dict[str, WebhookReply] = Field(default_factory=dict)
    """Node name -> how its webhook answers, for every turn of this test."""


class FlowTestFile(_Model):
    flow: str
    today: date | None = None
    """The date the tests run on, for date slots ("next Tuesday"); default: today."""
    tests: dict[str, FlowTest]


@dataclass
class TestResult:
    file: Path
    name: str
    failure: str | None = None


@dataclass
class TestRun:
    results: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[TestResult]:
        return [r for r in self.results if r.failure is not None]


def load_test_file(path: Path) -> FlowTestFile:
    try:
        text = path.read_text(encoding="utf-8")
        if _FLOW_KEYS.search(text) and not _TESTS_KEY.search(text):
            raise FlowError(
                [
                    f"{path}:1:1: not_a_test_file: this is a flow, not a conversation test "
                    f"file; its tests live in {path.parent / 'tests'}/ (files with `flow:` "
                    "and `tests:`)"
                ]
            )
        data = yaml.load(text, Loader=FlowYamlLoader)  # noqa: S506
        return FlowTestFile.model_validate(data)
    except OSError as exc:
        raise FlowError([f"{path}:1:1: unreadable: {exc.strerror or exc}"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise FlowError([f"{path}:{where}: yaml_syntax: {exc.problem}"]) from None
    except ValidationError as exc:
        raise FlowError(
            [
                f"{path}:1:1: {e['type']}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors()
            ]
        ) from None


def run_test(flow: Flow, test: FlowTest, today: date | None = None) -> str | None:
    """The first way the conversation differs from `test`, or None if it passes."""
    engine = DialogueEngine(flow, call_sid="CAflowtest", today=today)
    said = _said(engine.handle(CallStarted(call_sid="CAflowtest")))
    if test.greeting and test.greeting.lower() not in said.lower():
        return f"greeting: expected the bot to say '{test.greeting}', it said '{said}'"
    transfer: Transfer | None = None
    ended: str | None = None
    for number, step in enumerate(test.steps, start=1):
        if engine.ended is not None:
            return f"step {number}: the call already ended ({engine.ended})"
        actions = [action for event in _events(step) for action in engine.handle(event)]
        for _ in range(MAX_WEBHOOKS_PER_TURN):
            if not (actions and isinstance(actions[-1], CallWebhook)):
                break
            reply = step.webhook or test.webhooks.get(engine.node)
            if reply is None:
                return (
                    f"step {number}: node '{engine.node}' calls a webhook; say how it answers "
                    "with `webhook:` on the step or `webhooks:` on the test"
                )
            result = WebhookResult(ok=reply.fail is None, data=reply.json_, error=reply.fail or "")
            actions = [*actions, *engine.handle(result)]
        if actions and isinstance(actions[-1], AskKnowledge):
            # Flow tests run without a model: the best entry's own answer, as on the
            # embedded stack.
            best = actions[-1].entries[0]
            actions = [*actions, *engine.handle(Answered(best.answer, best.id))]
        said = _said(actions)
        transfer = next((a for a in actions if isinstance(a, Transfer)), transfer)
        ended = next((a.reason for a in actions if isinstance(a, EndCall)), ended)
        if step.node is not None and engine.node != step.node:
            return f"step {number}: expected node '{step.node}', the call is in '{engine.node}'"
        if step.bot_says is not None and step.bot_says.lower() not in said.lower():
            return f"step {number}: expected the bot to say '{step.bot_says}', it said '{said}'"
    outcome = "transferred" if transfer is not None else ended
    if test.outcome is not None and outcome != test.outcome:
        return f"outcome: expected {test.outcome}, got {outcome or 'the call still running'}"
    if test.queue is not None and (transfer is None or transfer.queue != test.queue):
        return f"queue: expected {test.queue}, got {transfer.queue if transfer else 'no transfer'}"
    for slot, value in test.slots.items():
        if engine.slots.get(slot) != value:
            return f"slot {slot}: expected '{value}', got '{engine.slots.get(slot)}'"
    return None


def run_test_files(paths: list[Path], flows: dict[str, Flow]) -> TestRun:
    run = TestRun()
    started = time.perf_counter()
    for path in paths:
        suite = load_test_file(path)
        flow = flows.get(suite.flow)
        for name, test in suite.tests.items():
            failure = (
                f"no flow named '{suite.flow}'"
                if flow is None
                else run_test(flow, test, suite.today)
            )
            run.results.append(TestResult(path, name, failure))
    run.seconds = time.perf_counter() - started
    return run


def _events(step: Step) -> list[Event]:
    if step.caller is not None:
        emotion = Estimate(step.emotion, STEP_INTENSITY) if step.emotion else None
        return [
            Utterance(
                text=step.caller,
                confidence=step.confidence,
                emotion=emotion,
                open_vocabulary=True,  # typed words are what the caller said, not a decode
            )
        ]
    if step.keys is not None:
        return [DtmfDigit(digit=d) for d in step.keys]
    return [NoInput()]


def _said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))
