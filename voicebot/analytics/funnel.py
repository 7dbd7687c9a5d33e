"""The per-node funnel of one flow: how many calls reached each node, where they went next,
how many were lost there and why, and the figures drawn onto the flow's own graph.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from voicebot.analytics.calls import CallDigest, loss_kind
from voicebot.flows.flow import Flow
from voicebot.flows.graph import Figures, edges

LOSSES = ("no_match", "no_input", "hang_up", "transfer", "dropped")


@dataclass
class NodeFunnel:
    node: str
    kind: str
    reached: int = 0
    """Calls that entered the node (once or more)."""
    next: Counter[str] = field(default_factory=Counter)
    """Calls that went from here to each next node (or `queue NAME` for a transfer)."""
    lost: Counter[str] = field(default_factory=Counter)
    """Calls lost here, by `LOSSES`: the caller was in this node when the bot lost them."""
    finished: int = 0
    """Calls the bot ended here itself (contained)."""
    no_match_turns: int = 0
    no_input_turns: int = 0
    turns_median: float | None = None
    """Median caller turns here, over the calls that took a turn here."""
    latency_median_ms: float | None = None
    """Median reply latency to the turns taken here."""

    @property
    def lost_total(self) -> int:
        return sum(self.lost.values())

    @property
    def loss_rate(self) -> float | None:
        return self.lost_total / self.reached if self.reached else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kind": self.kind,
            "reached": self.reached,
            "next": dict(sorted(self.next.items())),
            "lost": {loss: self.lost.get(loss, 0) for loss in LOSSES},
            "lost_total": self.lost_total,
            "loss_rate": None if self.loss_rate is None else round(self.loss_rate, 4),
            "finished": self.finished,
            "no_match_turns": self.no_match_turns,
            "no_input_turns": self.no_input_turns,
            "turns_median": self.turns_median,
            "latency_median_ms": self.latency_median_ms,
        }


def funnel(flow: Flow, calls: Iterable[CallDigest]) -> list[NodeFunnel]:
    """The flow's nodes in file order, each with its figures over `calls` (of this flow)."""
    nodes = {name: NodeFunnel(name, node.kind) for name, node in flow.nodes.items()}
    turns_at: dict[str, list[int]] = {name: [] for name in nodes}
    latency_at: dict[str, list[int]] = {name: [] for name in nodes}
    for call in calls:
        if call.flow != flow.flow:
            continue
        for name in set(call.path):
            if name in nodes:
                nodes[name].reached += 1
        for source, target in set(zip(call.path, call.path[1:], strict=False)):
            if source in nodes:
                nodes[source].next[target] += 1
        last = call.last_node
        if call.outcome == "transferred" and last in nodes and call.requested_queue:
            nodes[last].next[f"queue {call.requested_queue}"] += 1
        where = call.lost_at if call.lost_at in nodes else last
        if where in nodes:
            if call.outcome == "transferred":
                nodes[where].lost[loss_kind(call.transfer_reason)] += 1
            elif call.outcome == "hung_up":
                nodes[where].lost["hang_up"] += 1
            elif call.outcome == "dropped":
                nodes[where].lost["dropped"] += 1
        if call.outcome == "contained" and last in nodes:
            nodes[last].finished += 1
        per_node: Counter[str] = Counter()
        for turn in call.turns:
            if turn.node not in nodes:
                continue
            per_node[turn.node] += 1
            if turn.outcome == "no_input":
                nodes[turn.node].no_input_turns += 1
            elif turn.outcome in ("no_match", "invalid"):
                nodes[turn.node].no_match_turns += 1
            if turn.latency_ms is not None:
                latency_at[turn.node].append(turn.latency_ms)
        for name, count in per_node.items():
            turns_at[name].append(count)
    for name, figures in nodes.items():
        figures.turns_median = _median(turns_at[name])
        figures.latency_median_ms = _median(latency_at[name])
    return list(nodes.values())


def figures(flow: Flow, nodes: list[NodeFunnel], title: str = "") -> Figures:
    """The funnel as the flow graph's overlay: nodes coloured by the share of their callers
    lost there (green none, red all, grey unreached), labelled with their figures."""
    by_name = {n.node: n for n in nodes}
    colour: dict[str, str] = {}
    note: dict[str, str] = {}
    for n in nodes:
        colour[n.node] = loss_colour(n.loss_rate)
        lines = [f"reached {n.reached}"]
        if n.lost_total:
            rate = n.loss_rate or 0.0
            why = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in n.lost.items() if v)
            lines.append(f"lost {n.lost_total} ({rate:.0%}): {why}")
        if n.finished:
            lines.append(f"finished {n.finished}")
        if n.no_match_turns or n.no_input_turns:
            lines.append(f"turns no-match {n.no_match_turns}, no-input {n.no_input_turns}")
        if n.turns_median is not None:
            ms = "" if n.latency_median_ms is None else f", {n.latency_median_ms:.0f} ms"
            lines.append(f"median {n.turns_median:g} turns{ms}")
        note[n.node] = "\n".join(lines)
    edge_note: dict[tuple[str, str], str] = {}
    for edge in edges(flow):
        source = by_name.get(edge.source)
        count = source.next.get(edge.target, 0) if source is not None else 0
        if count:
            edge_note[(edge.source, edge.target)] = f"{count}"
    return Figures(node_colour=colour, node_note=note, edge_note=edge_note, title=title)


def loss_colour(rate: float | None) -> str:
    """#eeeeee for an unreached node, else green (no loss) through amber to red (all lost)."""
    if rate is None:
        return "#eeeeee"
    green, amber, red = (0xB6, 0xD7, 0xA8), (0xFF, 0xD9, 0x66), (0xE0, 0x66, 0x66)
    low, high, t = (green, amber, rate * 2) if rate <= 0.5 else (amber, red, rate * 2 - 1)
    mixed = (round(a + (b - a) * t) for a, b in zip(low, high, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def to_text(nodes: list[NodeFunnel]) -> str:
    """The funnel as a table for a terminal, one node a line."""
    head = f"{'node':<22} {'reached':>7} {'lost':>5}  {'why':<44} {'turns':>5} {'latency':>8}"
    lines = [head]
    for n in nodes:
        why = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in sorted(n.lost.items()) if v)
        turns = "-" if n.turns_median is None else f"{n.turns_median:g}"
        ms = "-" if n.latency_median_ms is None else f"{n.latency_median_ms:.0f} ms"
        lines.append(f"{n.node:<22} {n.reached:>7} {n.lost_total:>5}  {why:<44} {turns:>5} {ms:>8}")
    return "\n".join(lines)
