"""The typed dialogue flow an admin writes in YAML, and the semantic checks run when it loads.

Field docstrings become the JSON Schema descriptions that editors show while a flow is edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from voicebot.flows.base import FlowModel
from voicebot.flows.conditions import ConditionError, check_condition
from voicebot.flows.emotion_policy import EmotionPolicy
from voicebot.flows.knowledge import Knowledge
from voicebot.flows.queues import Queue, Routing, TwilioQueue
from voicebot.flows.slot_types import (
    ChoiceSlot,
    DigitsSlot,
    Slot,
    YesNoSlot,
)
from voicebot.flows.webhooks import Webhook

__all__ = [
    "ChoiceSlot", "DigitsSlot", "Flow", "FlowProblem", "Node", "Queue", "Slot", "TwilioQueue",
    "YesNoSlot",
]  # fmt: skip

NodeKind = Literal["menu", "collect", "answer", "webhook", "transfer", "hangup", "say"]

# Global commands the engine understands in every node; a flow intent with one of these names
# adds its examples to the command instead of defining a menu choice.
GLOBAL_COMMANDS = ("agent", "repeat", "help", "start_over", "goodbye")

# The implicit queue used when a flow declares none.
DEFAULT_QUEUE = "general"


_Model = FlowModel


class Intent(_Model):
    """Something a caller may want, recognised from example phrases."""

    examples: list[str] = Field(min_length=1)
    """Phrases that express the intent; matched after lower-casing and removing punctuation."""
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    """Word or phrase -> other ways to say it; every example using the word is also
    understood with each alternative (`bill: [invoice, statement]`)."""

    def phrases(self) -> list[str]:
        """The examples with every synonym substituted, examples first, no duplicates."""
        phrases = dict.fromkeys(self.examples)
        for word, alternatives in self.synonyms.items():
            for example in list(phrases):
                if f" {word} " in f" {example} ":
                    for alternative in alternatives:
                        spaced = f" {example} ".replace(f" {word} ", f" {alternative} ")
                        phrases[spaced.strip()] = None
        return list(phrases)


class YesNoBranch(_Model):
    """Where a yes/no answer leads."""

    yes: str
    """Node to go to when the caller says yes."""
    no: str
    """Node to go to when the caller says no."""


class Route(_Model):
    """One conditional way out of a node: the first route whose `when` holds is taken."""

    when: str = Field(min_length=1)
    """A condition over slots and the call, e.g. `balance > 100`, `emotion == 'angry'`,
    `filled('pin')`. See docs/flows.md for the names and operators."""
    goto: str
    """Node to go to when the condition holds."""


class SayVariant(_Model):
    """Words used instead of the node's own when a condition holds (first match wins)."""

    when: str = Field(min_length=1)
    """A condition, as in `if`."""
    say: str = Field(min_length=1)
    """What to say instead (of `say`, or of `prompt` in a collect node)."""


class AnswerFrom(_Model):
    """Answer the caller's free question from FAQ entries only (never invented)."""

    knowledge: Knowledge
    """The entries, usually `!include knowledge/<name>.yaml` (a file with `entries:`)."""
    min_relevance: float = Field(default=0.5, gt=0, le=1)
    """Share of the question's content words an entry must contain to be used; below it for
    every entry the bot says `no_answer` and goes to `on_no_answer`."""
    no_answer: str = Field(default="I'm sorry, I don't have an answer to that.", min_length=1)
    """Said when no entry is relevant enough (or the model finds none that answers)."""


class Node(_Model):
    """One step of the conversation. Its keys decide what it does:
    `on` = menu, `collect` = ask for a slot, `answer` = answer a free question from FAQ
    entries, `webhook` = call the support centre's system,
    `transfer` = hand to humans, `hangup` = end the call, otherwise say something and go on."""

    say: str | None = None
    """What the bot says on entering (a menu's question, a message, a goodbye). `{slot}` is
    replaced by the slot's value read for speech (`{balance}` -> "23 pounds 50")."""
    short_say: str | None = None
    """Menus: a shorter wording for frustrated or angry callers (see `emotion`); without it
    they hear just the choices."""
    say_if: list[SayVariant] = Field(default_factory=list)
    """Other words for `say` (or `prompt`) under conditions, e.g. a calmer wording when
    `emotion == 'angry'`; the first variant whose condition holds is used."""
    on: dict[str, str] | None = None
    """Menu: intent name -> node. Keypad 1..9 choose the intents in this order."""
    collect: str | None = None
    """Name of the slot this node asks for."""
    prompt: str | None = None
    """The question a `collect` (or `answer`) node asks (repeated on a retry)."""
    answer: AnswerFrom | None = None
    """Answer the caller's question (after `prompt`) from the FAQ entries given here, citing
    the entry used, then go to `next`; with no relevant entry go to `on_no_answer`. With an
    LLM configured it words the answer from the entry; without, the entry's answer is read."""
    on_no_answer: str | None = None
    """Answer nodes: node to go to when no entry answers the question (e.g. one offering a
    person); default: the agent command (a person)."""
    webhook: Webhook | None = None
    """Call the support centre's system (after `say`), fill slots from its JSON answer, then
    go to `next`; `on_failure` is taken when it fails, times out or answers nonsense."""
    on_failure: str | None = None
    """Webhook nodes: node to go to when the webhook fails (default: apologise and transfer)."""
    next: str | None = None
    """Node to go to after `say`, after the slot is filled, or after the webhook answered."""
    if_: list[Route] = Field(default_factory=list, alias="if")
    """Conditional ways out, checked in order before `next`/`branch` (say, collect and
    webhook nodes); a node with `if` and `next` but no `say` just decides where to go."""
    branch: YesNoBranch | None = None
    """For a yes/no slot: where each answer leads."""
    transfer: str | None = None
    """Queue to hand the call to (after `say`)."""
    hangup: bool = False
    """End the call after `say`."""
    help: str | None = None
    """Said when the caller asks for help here ("help", "what can I say"); default: the
    node's question again, with the menu choices or the keypad hint."""
    commands: dict[str, str] = Field(default_factory=dict)
    """Global command -> node, overriding it in this node only (e.g. `agent: billing_agent`).
    Commands: agent, repeat, help, start_over, goodbye."""
    reprompts: list[str] = Field(default_factory=list)
    """What to say after the 1st, 2nd… turn the bot did not understand (the last one is
    reused); without them the bot says "Sorry, I didn't catch that." and the prompt again."""
    no_input_prompts: list[str] = Field(default_factory=list)
    """The same after the 1st, 2nd… silence; no-input and no-match are counted separately."""
    max_retries: int = Field(default=2, ge=1, le=10)
    """Consecutive no-match (or no-input) turns before the caller is transferred."""
    on_max_retries: str | None = None
    """Node to go to past `max_retries` instead of the apology and transfer to the default
    queue (e.g. a node that transfers to a specialist queue)."""
    no_input_timeout: float = Field(default=6.0, gt=0, le=60)
    """Seconds of silence before the caller is prompted again."""

    @property
    def kind(self) -> NodeKind:
        """What the node does, from the keys it has (first match wins)."""
        if self.on is not None:
            return "menu"
        if self.collect is not None:
            return "collect"
        if self.answer is not None:
            return "answer"
        if self.webhook is not None:
            return "webhook"
        if self.transfer is not None:
            return "transfer"
        if self.hangup:
            return "hangup"
        return "say"

    def targets(self) -> list[str]:
        """Every node this one can lead to by its own keys (not global commands)."""
        found: list[str | None] = [*(self.on or {}).values(), *(r.goto for r in self.if_)]
        found += [self.next, self.on_failure, self.on_max_retries, self.on_no_answer]
        found += self.commands.values()
        if self.branch is not None:
            found += [self.branch.yes, self.branch.no]
        return [t for t in found if t is not None]


class FlowSpeech(_Model):
    """Speech stages for this flow, overriding the server's settings (the models must be
    installed: `voicebot models`)."""

    stt: Literal["pocketsphinx", "whisper"] | None = None
    """Speech recognition: `pocketsphinx` (grammars, embedded) or `whisper`."""
    tts: Literal["espeak", "piper"] | None = None
    """Speech synthesis: `espeak` (embedded) or `piper`."""
    llm: Literal["none", "ollama"] | None = None
    """Language model for understanding what grammars miss: `none` or `ollama`."""

    def overrides(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Flow(_Model):
    """One dialogue flow (one YAML file)."""

    flow: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    """Flow name, unique across the flows directory."""
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    """BCP-47 language tag of the flow: English only (`en`, `en-US`, `en-GB`, …), the one
    language voicebot's grammars, slot parsers, number words and built-in wording speak; any
    other is refused when the flow loads. The voice's accent is `VOICEBOT_TTS_VOICE`."""
    start: str | None = None
    """Node the call starts in; defaults to the first node."""
    queues: dict[str, Queue] = Field(default_factory=dict)
    """Human queues calls can be transferred to; the first is the default for failures."""
    routing: Routing = Field(default_factory=Routing)
    """Transfer routing: rules by intent, reason, slot values, emotion, VIP (docs/handoff.md)."""
    intents: dict[str, Intent] = Field(default_factory=dict)
    """What callers may ask for. `agent`, `repeat` and `goodbye` extend the global commands."""
    slots: dict[str, Slot] = Field(default_factory=dict)
    """Values collected from the caller."""
    speech: FlowSpeech | None = None
    """Speech stages for this flow's calls, when they differ from the server's settings."""
    emotion: EmotionPolicy = Field(default_factory=EmotionPolicy)
    """How the bot adapts to the caller's emotion: openers, shorter menus, voice, escalation
    rules and the crisis route (all on by default, except escalation rules)."""
    nodes: dict[str, Node] = Field(min_length=1)
    """The conversation steps. A node named `agent` (or `goodbye`) handles the global agent
    (or goodbye) command; without one the engine uses built-in wording."""

    @field_validator("language")
    @classmethod
    def _english_only(cls, value: str) -> str:
        if value.split("-")[0] != "en":
            raise ValueError(
                "voicebot understands and speaks English only (en, en-US, en-GB, …): its "
                "grammars, slot parsers and wording are English"
            )
        return value

    @property
    def start_node(self) -> str:
        return self.start if self.start is not None else next(iter(self.nodes))

    @property
    def default_queue(self) -> str:
        return next(iter(self.queues), DEFAULT_QUEUE)


# ---------------------------------------------------------------------------------------------
# Semantic checks: things the types cannot say. Every problem is collected, none raised.


@dataclass(frozen=True)
class FlowProblem:
    """One semantic problem; `path` locates it in the YAML (the loader turns it into line:col)."""

    code: str
    path: tuple[str | int, ...]
    message: str
    at_key: bool = False
    """Point at the mapping key rather than its value."""
    severity: Literal["error", "warning"] = "error"
    """Errors stop a flow from loading; warnings are lint for `voicebot flows validate`."""


_KIND_KEYS = ("on", "collect", "answer", "webhook", "transfer", "hangup")
_RETRY_KEYS = ("reprompts", "no_input_prompts", "on_max_retries", "help")
_ENDING = ("prompt", "next", "if", "branch", "on_failure", "commands", *_RETRY_KEYS)
_NA = "on_no_answer"
# Keys each node kind must not carry: they would be silently ignored otherwise.
_NOT_ALLOWED: dict[NodeKind, tuple[str, ...]] = {
    "menu": ("prompt", "next", "if", "branch", "on_failure", _NA),
    "collect": ("say", "on_failure", "short_say", _NA),
    "answer": ("say", "branch", "on_failure", "short_say"),
    "webhook": ("prompt", "branch", "commands", "short_say", _NA, *_RETRY_KEYS),
    "transfer": (*_ENDING, "short_say", _NA),
    "hangup": (*_ENDING, "short_say", _NA),
    "say": ("prompt", "branch", "on_failure", "commands", "short_say", _NA, *_RETRY_KEYS),
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_flow(flow: Flow) -> list[FlowProblem]:
    """Every reference and node-shape problem in `flow`, in file order."""
    problems: list[FlowProblem] = []
    if flow.start is not None and flow.start not in flow.nodes:
        problems.append(
            FlowProblem(
                "missing_start",
                ("start",),
                f"start node '{flow.start}' does not exist (nodes: {', '.join(flow.nodes)})",
            )
        )
    queues = flow.queues or {DEFAULT_QUEUE: Queue()}
    for name, slot in flow.slots.items():
        problems += _check_slot(name, slot)
    for name, node in flow.nodes.items():
        problems += _check_node(flow, name, node, queues)
    for i, rule in enumerate(flow.emotion.escalate):
        if rule.queue not in queues:
            problems.append(
                _unknown("queue", ("emotion", "escalate", i, "queue"), rule.queue, queues)
            )
    crisis = flow.emotion.crisis
    if crisis is not None and crisis.queue not in queues:
        problems.append(_unknown("queue", ("emotion", "crisis", "queue"), crisis.queue, queues))
    problems += _check_say_loops(flow)
    problems += check_routing(flow)
    return problems


def check_routing(flow: Flow) -> list[FlowProblem]:
    from voicebot.flows.routing import check_routing as check

    return check(flow)


def _check_slot(name: str, slot: Slot) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    numeric = slot.type in ("number", "currency")
    for i, rule in enumerate(slot.checks):
        here = ("slots", name, "validate", i)
        if (rule.min is not None or rule.max is not None) and not numeric:
            problems.append(
                FlowProblem(
                    "rule_type", here, f"min/max need a number or currency slot, not {slot.type}"
                )
            )
        if (rule.earliest_days is not None or rule.latest_days is not None) and slot.type != "date":
            problems.append(
                FlowProblem(
                    "rule_type",
                    here,
                    f"earliest_days/latest_days need a date slot, not {slot.type}",
                )
            )
        if rule.regex is not None:
            try:
                re.compile(rule.regex)
            except re.error as exc:
                problems.append(
                    FlowProblem("bad_regex", (*here, "regex"), f"cannot compile regex: {exc}")
                )
    return problems


def _check_node(flow: Flow, name: str, node: Node, queues: dict[str, Queue]) -> list[FlowProblem]:
    here = ("nodes", name)
    problems: list[FlowProblem] = []
    kinds = [k for k in _KIND_KEYS if k in node.model_fields_set and getattr(node, k)]
    if len(kinds) > 1:
        problems.append(
            FlowProblem(
                "node_kind",
                here,
                f"node '{name}' has {', '.join(kinds)}: pick one of {'/'.join(_KIND_KEYS)}",
                at_key=True,
            )
        )
    kind = node.kind
    for key in _NOT_ALLOWED[kind]:
        field = "if_" if key == "if" else key
        if field in node.model_fields_set:
            problems.append(
                FlowProblem(
                    "unexpected_key",
                    (*here, key),
                    f"a {kind} node does not use `{key}`"
                    + ("; put the words in `prompt`" if key == "say" else ""),
                    at_key=True,
                )
            )
    if (kind == "menu" or (kind == "say" and not node.if_)) and not node.say:
        problems.append(
            FlowProblem("missing_say", here, f"{kind} node '{name}' needs `say`", at_key=True)
        )
    if kind == "answer" and not node.prompt:
        problems.append(
            FlowProblem("missing_prompt", here, f"answer node '{name}' needs `prompt`", True)
        )
    if kind in ("say", "webhook", "answer") and node.next is None:
        problems.append(
            FlowProblem(
                "missing_next",
                here,
                f"node '{name}' needs `next`"
                + (", or `on`, `collect`, `transfer` or `hangup: true`" if kind == "say" else ""),
                at_key=True,
            )
        )
    for key in ("next", "on_max_retries", "on_failure", "on_no_answer"):
        target = getattr(node, key)
        if target is not None and target not in flow.nodes:
            problems.append(_unknown("node", (*here, key), target, flow.nodes))
    for i, route in enumerate(node.if_):
        if route.goto not in flow.nodes:
            problems.append(_unknown("node", (*here, "if", i, "goto"), route.goto, flow.nodes))
        problems += _check_condition(flow, (*here, "if", i, "when"), route.when)
    for i, variant in enumerate(node.say_if):
        problems += _check_condition(flow, (*here, "say_if", i, "when"), variant.when)
    for command, target in node.commands.items():
        if command not in GLOBAL_COMMANDS:
            problems.append(
                _unknown(
                    "command",
                    (*here, "commands", command),
                    command,
                    dict.fromkeys(GLOBAL_COMMANDS),
                    True,
                )
            )
        if target not in flow.nodes:
            problems.append(_unknown("node", (*here, "commands", command), target, flow.nodes))
    problems += _check_placeholders(flow, here, node)
    if kind == "menu":
        problems += _check_menu(flow, here, node.on or {})
    if kind == "collect":
        problems += _check_collect(flow, name, node)
    if kind == "webhook" and node.webhook is not None:
        problems += _check_webhook(flow, (*here, "webhook"), node.webhook)
    if kind == "transfer" and node.transfer not in queues:
        problems.append(_unknown("queue", (*here, "transfer"), node.transfer or "", queues))
    return problems


def _check_condition(flow: Flow, path: tuple[str | int, ...], text: str) -> list[FlowProblem]:
    try:
        check_condition(text, flow.slots)
    except ConditionError as exc:
        return [FlowProblem("bad_condition", path, str(exc))]
    return []


def _check_placeholders(flow: Flow, here: tuple[str, ...], node: Node) -> list[FlowProblem]:
    texts: list[tuple[tuple[str | int, ...], str]] = [
        ((*here, key), getattr(node, key))
        for key in ("say", "prompt", "help")
        if getattr(node, key)
    ]
    texts += [((*here, "say_if", i, "say"), v.say) for i, v in enumerate(node.say_if)]
    texts += [((*here, "reprompts", i), t) for i, t in enumerate(node.reprompts)]
    problems: list[FlowProblem] = []
    for path, text in texts:
        for slot in _PLACEHOLDER.findall(text):
            if slot not in flow.slots:
                problems.append(_unknown("slot", path, slot, flow.slots))
    return problems


def _check_webhook(flow: Flow, here: tuple[str | int, ...], hook: Webhook) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    for i, slot in enumerate(hook.send):
        if slot not in flow.slots:
            problems.append(_unknown("slot", (*here, "send", i), slot, flow.slots))
    for slot in hook.fills:
        if slot not in flow.slots:
            problems.append(_unknown("slot", (*here, "fills", slot), slot, flow.slots, True))
    return problems


def _check_menu(flow: Flow, here: tuple[str, ...], on: dict[str, str]) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    if not on:
        problems.append(FlowProblem("empty_menu", (*here, "on"), "`on` lists no intents"))
    for intent, target in on.items():
        if intent not in flow.intents:
            problems.append(_unknown("intent", (*here, "on", intent), intent, flow.intents, True))
        if target not in flow.nodes:
            problems.append(_unknown("node", (*here, "on", intent), target, flow.nodes))
    return problems


def _check_collect(flow: Flow, name: str, node: Node) -> list[FlowProblem]:
    here = ("nodes", name)
    problems: list[FlowProblem] = []
    slot = flow.slots.get(node.collect or "")
    if slot is None:
        problems.append(_unknown("slot", (*here, "collect"), node.collect or "", flow.slots))
    if not node.prompt:
        problems.append(
            FlowProblem(
                "missing_prompt", here, f"collect node '{name}' needs `prompt`", at_key=True
            )
        )
    if (node.next is None) == (node.branch is None):
        problems.append(
            FlowProblem(
                "missing_next",
                here,
                f"collect node '{name}' needs exactly one of `next` or `branch`",
                at_key=True,
            )
        )
    if node.branch is not None:
        if slot is not None and slot.type != "yes_no":
            problems.append(
                FlowProblem(
                    "branch_needs_yes_no",
                    (*here, "branch"),
                    f"`branch` needs a yes_no slot; '{node.collect}' is {slot.type}",
                    at_key=True,
                )
            )
        for answer in ("yes", "no"):
            target = getattr(node.branch, answer)
            if target not in flow.nodes:
                problems.append(_unknown("node", (*here, "branch", answer), target, flow.nodes))
    return problems


def _check_say_loops(flow: Flow) -> list[FlowProblem]:
    """Say nodes chain without waiting for the caller, so a cycle of them would never end."""
    problems: list[FlowProblem] = []
    reported: set[str] = set()

    def follow(name: str, path: list[str]) -> list[str] | None:
        node = flow.nodes.get(name)
        if node is None or node.kind != "say":
            return None
        if name in path:
            return path[path.index(name) :] + [name]
        for target in [*(r.goto for r in node.if_), node.next]:
            loop = follow(target, [*path, name]) if target is not None else None
            if loop is not None:
                return loop
        return None

    for first in flow.nodes:
        loop = follow(first, [])
        if loop is not None and not reported.intersection(loop):
            reported.update(loop)
            problems.append(
                FlowProblem(
                    "say_loop",
                    ("nodes", loop[0], "next"),
                    f"say nodes {' -> '.join(loop)} loop without waiting for the caller",
                )
            )
    return problems


def _unknown(
    what: str, path: tuple[str | int, ...], name: str, known: object, at_key: bool = False
) -> FlowProblem:
    names = ", ".join(known) if isinstance(known, dict) and known else "none"
    return FlowProblem(
        f"unknown_{what}", path, f"unknown {what} '{name}' (known: {names})", at_key=at_key
    )
