"""The typed dialogue flow an admin writes in YAML, and the semantic checks run when it loads.

Field docstrings become the JSON Schema descriptions that editors show while a flow is edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NodeKind = Literal["menu", "collect", "transfer", "hangup", "say"]

# Global commands the engine understands in every node; a flow intent with one of these names
# adds its examples to the command instead of defining a menu choice.
GLOBAL_COMMANDS = ("agent", "repeat", "goodbye")

# The implicit queue used when a flow declares none.
DEFAULT_QUEUE = "general"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class TwilioQueue(_Model):
    """How Twilio reaches the humans behind a queue."""

    enqueue: str = Field(min_length=1)
    """Name of the Twilio `<Enqueue>` queue the call is put in."""


class Queue(_Model):
    """A group of humans a call can be handed to."""

    twilio: TwilioQueue | None = None
    """Twilio routing; without it the queue name is used as the `<Enqueue>` name."""
    priority: int = Field(default=0, ge=0, le=100)
    """Higher numbers are answered first where the contact centre supports priorities."""


class Intent(_Model):
    """Something a caller may want, recognised from example phrases."""

    examples: list[str] = Field(min_length=1)
    """Phrases that express the intent; matched after lower-casing and removing punctuation."""


class DigitsSlot(_Model):
    """A number the caller says digit by digit or keys in (account number, PIN)."""

    type: Literal["digits"]
    """Slot type: `digits`."""
    length: int | None = Field(default=None, ge=1, le=32)
    """Exact number of digits; keypad entry completes as soon as this many are keyed."""
    min_length: int | None = Field(default=None, ge=1, le=32)
    """Fewest digits accepted (use with `max_length` instead of `length`)."""
    max_length: int | None = Field(default=None, ge=1, le=32)
    """Most digits accepted (use with `min_length` instead of `length`)."""
    dtmf: bool = True
    """The caller may key the digits in; `#` ends a variable-length entry."""
    confirm: Literal["always", "never", "low_confidence"] = "never"
    """Read the digits back and ask the caller to confirm them: `always`, `never`, or
    `low_confidence` (only when the recogniser was less sure than `confirm_below`; keyed
    digits are never read back then). `true`/`false` mean always/never."""
    confirm_below: float = Field(default=0.8, gt=0, le=1)
    """Recognition confidence under which `confirm: low_confidence` reads the digits back."""

    @field_validator("confirm", mode="before")
    @classmethod
    def _confirm_flag(cls, value: object) -> object:
        # `confirm: true` reads naturally in YAML; it means always.
        return (
            {True: "always", False: "never"}.get(value, value) if isinstance(value, bool) else value
        )

    sensitive: bool = False
    """The value is masked ("****") in logs, call records and hand-offs."""

    @model_validator(mode="after")
    def _one_way_to_size(self) -> DigitsSlot:
        if self.length is not None and (self.min_length or self.max_length):
            raise ValueError("give either `length` or `min_length`/`max_length`, not both")
        if self.length is None and (self.min_length is None or self.max_length is None):
            raise ValueError("a digits slot needs `length`, or both `min_length` and `max_length`")
        if self.length is None and self.min_length > self.max_length:  # type: ignore[operator]
            raise ValueError("`min_length` is greater than `max_length`")
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        """(fewest, most) digits accepted."""
        if self.length is not None:
            return self.length, self.length
        return self.min_length or 1, self.max_length or 1


class YesNoSlot(_Model):
    """A yes/no answer; the node either stores it (`next`) or branches on it (`branch`)."""

    type: Literal["yes_no"]
    """Slot type: `yes_no`."""
    sensitive: bool = False
    """The value is masked ("****") in logs, call records and hand-offs."""


Slot = Annotated[DigitsSlot | YesNoSlot, Field(discriminator="type")]


class YesNoBranch(_Model):
    """Where a yes/no answer leads."""

    yes: str
    """Node to go to when the caller says yes."""
    no: str
    """Node to go to when the caller says no."""


class Node(_Model):
    """One step of the conversation. Its keys decide what it does:
    `on` = menu, `collect` = ask for a slot, `transfer` = hand to humans, `hangup` = end the
    call, otherwise say something and go to `next`."""

    say: str | None = None
    """What the bot says on entering (a menu's question, a message, a goodbye)."""
    on: dict[str, str] | None = None
    """Menu: intent name -> node. Keypad 1..9 choose the intents in this order."""
    collect: str | None = None
    """Name of the slot this node asks for."""
    prompt: str | None = None
    """The question a `collect` node asks (repeated on a retry)."""
    next: str | None = None
    """Node to go to after `say`, or after the slot is filled."""
    branch: YesNoBranch | None = None
    """For a yes/no slot: where each answer leads."""
    transfer: str | None = None
    """Queue to hand the call to (after `say`)."""
    hangup: bool = False
    """End the call after `say`."""
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
        if self.transfer is not None:
            return "transfer"
        if self.hangup:
            return "hangup"
        return "say"


class Flow(_Model):
    """One dialogue flow (one YAML file)."""

    flow: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    """Flow name, unique across the flows directory."""
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    """BCP-47 language tag the speech services use."""
    start: str | None = None
    """Node the call starts in; defaults to the first node."""
    queues: dict[str, Queue] = Field(default_factory=dict)
    """Human queues calls can be transferred to; the first is the default for failures."""
    intents: dict[str, Intent] = Field(default_factory=dict)
    """What callers may ask for. `agent`, `repeat` and `goodbye` extend the global commands."""
    slots: dict[str, Slot] = Field(default_factory=dict)
    """Values collected from the caller."""
    nodes: dict[str, Node] = Field(min_length=1)
    """The conversation steps. A node named `agent` (or `goodbye`) handles the global agent
    (or goodbye) command; without one the engine uses built-in wording."""

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


_KIND_KEYS = ("on", "collect", "transfer", "hangup")
# Keys each node kind must not carry: they would be silently ignored otherwise.
_NOT_ALLOWED: dict[NodeKind, tuple[str, ...]] = {
    "menu": ("prompt", "next", "branch"),
    "collect": ("say",),
    "transfer": ("prompt", "next", "branch", "reprompts", "no_input_prompts", "on_max_retries"),
    "hangup": ("prompt", "next", "branch", "reprompts", "no_input_prompts", "on_max_retries"),
    "say": ("prompt", "branch", "reprompts", "no_input_prompts", "on_max_retries"),
}


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
    for name, node in flow.nodes.items():
        problems += _check_node(flow, name, node, queues)
    problems += _check_say_loops(flow)
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
                f"node '{name}' has {', '.join(kinds)}: pick one of on/collect/transfer/hangup",
                at_key=True,
            )
        )
    kind = node.kind
    for key in _NOT_ALLOWED[kind]:
        if key in node.model_fields_set:
            problems.append(
                FlowProblem(
                    "unexpected_key",
                    (*here, key),
                    f"a {kind} node does not use `{key}`"
                    + ("; put the words in `prompt`" if key == "say" else ""),
                    at_key=True,
                )
            )
    if kind in ("menu", "say") and not node.say:
        problems.append(
            FlowProblem("missing_say", here, f"{kind} node '{name}' needs `say`", at_key=True)
        )
    if kind == "say" and node.next is None:
        problems.append(
            FlowProblem(
                "missing_next",
                here,
                f"node '{name}' needs `next`, or `on`, `collect`, `transfer` or `hangup: true`",
                at_key=True,
            )
        )
    for key in ("next", "on_max_retries"):
        target = getattr(node, key)
        if target is not None and target not in flow.nodes:
            problems.append(_unknown("node", (*here, key), target, flow.nodes))
    if kind == "menu":
        problems += _check_menu(flow, here, node.on or {})
    if kind == "collect":
        problems += _check_collect(flow, name, node)
    if kind == "transfer" and node.transfer not in queues:
        problems.append(_unknown("queue", (*here, "transfer"), node.transfer or "", queues))
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
    for first in flow.nodes:
        seen: list[str] = []
        name: str | None = first
        while name in flow.nodes and flow.nodes[name].kind == "say" and name not in seen:
            seen.append(name)
            name = flow.nodes[name].next
        if seen and name == first and first not in reported:
            reported.update(seen)
            problems.append(
                FlowProblem(
                    "say_loop",
                    ("nodes", first, "next"),
                    f"say nodes {' -> '.join([*seen, first])} loop without waiting for the caller",
                )
            )
    return problems


def _unknown(
    what: str, path: tuple[str, ...], name: str, known: object, at_key: bool = False
) -> FlowProblem:
    names = ", ".join(known) if isinstance(known, dict) and known else "none"
    return FlowProblem(
        f"unknown_{what}", path, f"unknown {what} '{name}' (known: {names})", at_key=at_key
    )
