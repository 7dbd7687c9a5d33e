"""The semantic checks run when a flow loads: things the types cannot say (dangling
references, node shapes, unknown placeholders, say-node loops, routing). Every problem is
collected, none raised.
"""

from __future__ import annotations

import re

from voicebot.flows.conditions import ConditionError, check_condition
from voicebot.flows.flow import DEFAULT_QUEUE, GLOBAL_COMMANDS, Flow, Node, NodeKind
from voicebot.flows.problems import FlowProblem
from voicebot.flows.queues import Queue
from voicebot.flows.routing import check_routing
from voicebot.flows.slot_types import Slot
from voicebot.flows.webhooks import Webhook

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
    """Say nodes chain without waiting for the caller, so a cycle of them would never end.

    One depth-first walk with an explicit stack: linear in the flow's size, and no recursion
    limit however long a chain of say nodes is."""
    problems: list[FlowProblem] = []
    reported: set[str] = set()
    finished: set[str] = set()  # say nodes whose chains are known to end or already reported

    def targets(name: str) -> list[str]:
        node = flow.nodes.get(name)
        if node is None or node.kind != "say":
            return []
        found = [*(r.goto for r in node.if_), node.next]
        return [
            t for t in found if t is not None and getattr(flow.nodes.get(t), "kind", None) == "say"
        ]

    for first in flow.nodes:
        if first in finished or getattr(flow.nodes[first], "kind", None) != "say":
            continue
        path: list[str] = [first]
        on_path = {first}
        stack = [iter(targets(first))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                done = path.pop()
                finished.add(done)
                on_path.discard(done)
                continue
            if target in on_path:
                loop = path[path.index(target) :] + [target]
                if not reported.intersection(loop):
                    reported.update(loop)
                    problems.append(
                        FlowProblem(
                            "say_loop",
                            ("nodes", loop[0], "next"),
                            f"say nodes {' -> '.join(loop)} loop without waiting for the caller",
                        )
                    )
                continue
            if target in finished:
                continue
            path.append(target)
            on_path.add(target)
            stack.append(iter(targets(target)))
    return problems


def _unknown(
    what: str, path: tuple[str | int, ...], name: str, known: object, at_key: bool = False
) -> FlowProblem:
    names = ", ".join(known) if isinstance(known, dict) and known else "none"
    return FlowProblem(
        f"unknown_{what}", path, f"unknown {what} '{name}' (known: {names})", at_key=at_key
    )
