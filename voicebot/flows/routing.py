"""Which queue a transfer goes to, and how: a pure function of the flow's routing config, the
engine's `Transfer`, the time and what is known about the caller.

Order: the first routing rule that holds, else the queue the engine chose; a VIP caller gets
the VIP queue (when no rule matched) and a priority boost; a closed queue sends the call on to
its out-of-hours queue or to a callback request, unless the rule bypasses hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from voicebot.flows.flow import DEFAULT_QUEUE, Flow
from voicebot.flows.problems import FlowProblem
from voicebot.flows.queues import EmotionMatch, Queue, Routing, RuleWhen


@dataclass(frozen=True)
class CallerFacts:
    """What the shell knows about the caller when the transfer happens."""

    caller_id: str | None = None
    intent: str | None = None
    slots: Mapping[str, str] = field(default_factory=dict)
    emotions: Sequence[Mapping[str, object]] = ()
    """Emotion trajectory, oldest first: `{"label": str, "intensity": float}` each."""


@dataclass(frozen=True)
class RouteDecision:
    queue: str
    """Where the call goes (after out-of-hours redirection)."""
    requested_queue: str
    """The queue chosen before opening hours were applied."""
    reason: str
    priority: int
    action: Literal["queue", "callback"]
    vip: bool = False
    rule: int | None = None
    """Index of the routing rule that matched."""
    closed: tuple[str, ...] = ()
    """Queues skipped because they were closed."""
    message: str | None = None
    """Out-of-hours message said before the callback recording or the other queue."""


def queues_of(flow: Flow) -> dict[str, Queue]:
    return dict(flow.queues) or {DEFAULT_QUEUE: Queue()}


def is_vip(routing: Routing, facts: CallerFacts) -> bool:
    vip = routing.vip
    if facts.caller_id and facts.caller_id in vip.callers:
        return True
    if vip.tier_slot is not None:
        tier = facts.slots.get(vip.tier_slot, "")
        return tier.lower() in {t.lower() for t in vip.tier_values}
    return False


def decide(
    routing: Routing,
    queues: Mapping[str, Queue],
    queue: str,
    reason: str,
    now: datetime,
    facts: CallerFacts,
) -> RouteDecision:
    """Route a transfer the engine asked for (`queue`, `reason`) at `now` (timezone-aware)."""
    vip = is_vip(routing, facts)
    chosen, rule_index, priority, bypass = queue, None, None, False
    for index, rule in enumerate(routing.rules):
        if _holds(rule.when, reason, facts, vip):
            chosen, rule_index, priority = rule.queue, index, rule.priority
            bypass = rule.bypass_hours
            break
    if vip and rule_index is None and routing.vip.queue is not None:
        chosen = routing.vip.queue
    if chosen not in queues:  # check_routing rejects this at load; stay safe on hot reloads
        chosen = next(iter(queues))
    base = priority if priority is not None else queues[chosen].priority
    if vip:
        base = min(100, base + routing.vip.priority_boost)

    closed: list[str] = []
    current, message = chosen, None
    while not bypass:
        config = queues[current]
        if config.hours is None or config.hours.is_open(now):
            break
        closed.append(current)
        message = config.out_of_hours.message
        following = config.out_of_hours.queue
        if following is None or following in closed or following not in queues:
            action: Literal["queue", "callback"] = (
                "callback" if config.out_of_hours.callback else "queue"
            )
            return RouteDecision(
                current, chosen, reason, base, action, vip, rule_index, tuple(closed), message
            )
        current = following
    return RouteDecision(
        current, chosen, reason, base, "queue", vip, rule_index, tuple(closed), message
    )


def _holds(when: RuleWhen, reason: str, facts: CallerFacts, vip: bool) -> bool:
    if when.intent and facts.intent not in when.intent:
        return False
    if when.reason and not any(reason.startswith(r) for r in when.reason):
        return False
    for slot, value in when.slots.items():
        if facts.slots.get(slot, "").lower() != value.lower():
            return False
    if when.emotion is not None and not _feels(when.emotion, facts.emotions):
        return False
    return when.vip is None or when.vip == vip


def _feels(match: EmotionMatch, emotions: Sequence[Mapping[str, object]]) -> bool:
    """The caller's latest emotion has the label at or above the intensity."""
    if not emotions:
        return False
    latest = emotions[-1]
    intensity = latest.get("intensity", 0.0)
    return (
        latest.get("label") == match.label
        and isinstance(intensity, int | float)
        and intensity >= match.min_intensity
    )


def check_routing(flow: Flow) -> list[FlowProblem]:
    """Reference problems in `queues:` and `routing:`: unknown queues and slots, cycles."""
    problems: list[FlowProblem] = []
    queues = queues_of(flow)
    names = ", ".join(queues)

    def unknown(path: tuple[str | int, ...], name: str) -> None:
        problems.append(
            FlowProblem("unknown_queue", path, f"unknown queue '{name}' (queues: {names})")
        )

    for name, queue in flow.queues.items():
        for key, target in (("overflow", queue.overflow), ("queue", queue.out_of_hours.queue)):
            path: tuple[str | int, ...] = ("queues", name, key)
            if key == "queue":
                path = ("queues", name, "out_of_hours", key)
            if target is not None and target not in queues:
                unknown(path, target)
        for key in ("overflow", "out_of_hours"):
            cycle = _cycle(flow.queues, name, key)
            if cycle:
                problems.append(
                    FlowProblem(
                        f"{key}_cycle",
                        ("queues", name, key),
                        f"{key} goes round in a circle: {' -> '.join(cycle)}",
                    )
                )
    for index, rule in enumerate(flow.routing.rules):
        here: tuple[str | int, ...] = ("routing", "rules", index)
        if rule.queue not in queues:
            unknown((*here, "queue"), rule.queue)
        for slot in rule.when.slots:
            if slot not in flow.slots:
                problems.append(
                    FlowProblem("unknown_slot", (*here, "when", "slots"), f"unknown slot '{slot}'")
                )
    vip = flow.routing.vip
    if vip.queue is not None and vip.queue not in queues:
        unknown(("routing", "vip", "queue"), vip.queue)
    if vip.tier_slot is not None and vip.tier_slot not in flow.slots:
        problems.append(
            FlowProblem(
                "unknown_slot", ("routing", "vip", "tier_slot"), f"unknown slot '{vip.tier_slot}'"
            )
        )
    return problems


def _cycle(queues: Mapping[str, Queue], start: str, key: str) -> list[str]:
    """The queues from `start` back to `start` along `key`, or [] when the chain ends."""
    seen = [start]
    current = start
    while True:
        queue = queues.get(current)
        if queue is None:
            return []
        following = queue.overflow if key == "overflow" else queue.out_of_hours.queue
        if following is None:
            return []
        if following == start:
            return [*seen, start]
        if following in seen:
            return []  # a loop that does not pass through `start`: reported for its members
        seen.append(following)
        current = following
