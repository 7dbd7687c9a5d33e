"""A flow as a picture: Mermaid flowchart text of its nodes, transitions, transfers and exits,
the same graph in Graphviz's DOT, and drawn as SVG or PNG by Graphviz (the `graph` extra),
optionally coloured and labelled with figures (the call funnel).

Mermaid renders in GitHub, GitLab and most Markdown editors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voicebot.exceptions import VoicebotError
from voicebot.flows.flow import Flow, Node

SHAPES = {
    "menu": ('{{"', '"}}'),
    "collect": ('[/"', '"/]'),
    "answer": ('[\\"', '"\\]'),
    "webhook": ('[("', '")]'),
    "transfer": ('[["', '"]]'),
    "hangup": ('(["', '"])'),
    "say": ('["', '"]'),
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    exit: bool = False
    """A failure exit or a transfer (drawn dashed)."""


@dataclass(frozen=True)
class Figures:
    """What to draw over the plain graph: a fill colour and extra label lines per node, a
    label per edge (source, target: a node or `queue NAME`), and a title."""

    node_colour: dict[str, str] = field(default_factory=dict)
    node_note: dict[str, str] = field(default_factory=dict)
    edge_note: dict[tuple[str, str], str] = field(default_factory=dict)
    title: str = ""


def edges(flow: Flow) -> list[Edge]:
    """Every transition of the flow; queues appear as `queue <name>` targets."""
    found: list[Edge] = []
    for name, node in flow.nodes.items():
        found += [Edge(name, target, intent) for intent, target in (node.on or {}).items()]
        found += [Edge(name, route.goto, f"if {route.when}") for route in node.if_]
        if node.next:
            found.append(Edge(name, node.next, "else" if node.if_ else ""))
        if node.branch is not None:
            found += [Edge(name, node.branch.yes, "yes"), Edge(name, node.branch.no, "no")]
        found += [Edge(name, target, command) for command, target in node.commands.items()]
        if node.transfer:
            found.append(Edge(name, f"queue {node.transfer}", "transfer", exit=True))
        if node.kind == "webhook":
            target = node.on_failure or f"queue {flow.default_queue}"
            found.append(Edge(name, target, "webhook failed", exit=True))
        if node.kind == "answer":
            target = node.on_no_answer or f"queue {flow.default_queue}"
            found.append(Edge(name, target, "no answer", exit=node.on_no_answer is None))
        if node.kind in ("menu", "collect", "answer"):
            target = node.on_max_retries or f"queue {flow.default_queue}"
            found.append(Edge(name, target, f"{node.max_retries} failures", exit=True))
    return found


def mermaid(flow: Flow) -> str:
    lines = [f"%% flow {flow.flow}", "flowchart TD", "  start((call)) --> " + _id(flow.start_node)]
    for name, node in flow.nodes.items():
        left, right = SHAPES[node.kind]
        lines.append(f"  {_id(name)}{left}{_label(name, node)}{right}")
    queues = sorted({e.target for e in edges(flow) if e.target not in flow.nodes})
    lines += [f"  {_id(queue)}[({queue})]" for queue in queues]
    for edge in edges(flow):
        arrow = "-.->" if edge.exit else "-->"
        label = f"|{_text(edge.label)}|" if edge.label else ""
        lines.append(f"  {_id(edge.source)} {arrow}{label} {_id(edge.target)}")
    return "\n".join(lines) + "\n"


def dot(flow: Flow, figures: Figures | None = None) -> str:
    """The flow in Graphviz's DOT language: top to bottom from the call's start, one shape and
    colour per node kind, failure exits and transfers dashed, queues as cylinders at the foot;
    with `figures`, their colours, notes and edge labels instead of the plain ones."""
    figures = figures or Figures()
    shown: set[tuple[str, str]] = set()  # edge figures drawn: one per pair of nodes
    title = _quote(figures.title or f"flow {flow.flow}")
    lines = [
        f"digraph {title} {{",
        f"  graph [label={title}, labelloc=t, fontsize=16, fontname=Helvetica, rankdir=TB,"
        " nodesep=0.35, ranksep=0.55, splines=true, outputorder=edgesfirst, pad=0.3];",
        '  node [fontname=Helvetica, fontsize=11, style="filled,rounded", shape=box,'
        ' penwidth=1.2, margin="0.15,0.06"];',
        '  edge [fontname=Helvetica, fontsize=9, color="#555555", fontcolor="#333333",'
        " arrowsize=0.7];",
        '  start [label=call, shape=circle, style=filled, fillcolor="#ffffff", width=0.5];',
        f"  start -> {_quote(flow.start_node)};",
    ]
    # The engine's own exits to the default queue (past the retry limit, a failed webhook, no
    # FAQ answer) leave from most nodes: they are a line in the node, not an edge across it all.
    default = f"queue {flow.default_queue}"
    implicit = [e for e in edges(flow) if e.exit and e.target == default and e.label != "transfer"]
    drawn = [e for e in edges(flow) if e not in implicit]
    for name, node in flow.nodes.items():
        notes = [
            f"{e.label} → {flow.default_queue}" + _count(figures, e, shown) for e in implicit
            if e.source == name
        ]  # fmt: skip
        figure = figures.node_note.get(name)
        notes += [figure] if figure else []
        label = _quote("\n".join([name, f"({_detail(node)})", *notes]))
        shape = _DOT_SHAPES[node.kind]
        colour = figures.node_colour.get(name) or _COLOURS[node.kind]
        lines.append(f'  {_quote(name)} [label={label}, shape={shape}, fillcolor="{colour}"];')
    queues = sorted({e.target for e in drawn if e.target not in flow.nodes})
    if queues:  # side by side at the foot, where the transfers end
        lines.append("  { rank=sink;")
        lines += [
            f'    {_quote(q)} [label={_quote(q)}, shape=cylinder, fillcolor="#f4cccc"];'
            for q in queues
        ]
        lines.append("  }")
    for edge in drawn:
        text = (edge.label + _count(figures, edge, shown)).strip()
        attributes = [f"label={_quote(' ' + text + ' ')}"] if text else []
        if edge.exit:
            attributes += ["style=dashed", 'color="#b45f06"', 'fontcolor="#b45f06"']
        if edge.source == edge.target:
            attributes.append("constraint=false")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{suffix};")
    return "\n".join([*lines, "}"]) + "\n"


def render(flow: Flow, path: Path, figures: Figures | None = None) -> None:
    """Draw the flow into an SVG or PNG file (by the file's suffix) with Graphviz's `dot`
    layout, through pygraphviz (the `graph` extra; its wheel bundles Graphviz)."""
    if path.suffix.lower() not in (".svg", ".png"):
        raise RenderError(f"cannot draw into '{path.name}': use a .svg or .png file name")
    path.write_bytes(draw(flow, path.suffix.lower().lstrip("."), figures))


def draw(flow: Flow, fmt: str, figures: Figures | None = None) -> bytes:
    """The flow drawn as `fmt` ("svg" or "png"), with `figures` over it when given."""
    if fmt not in ("svg", "png"):
        raise RenderError(f"cannot draw as '{fmt}': use svg or png")
    try:
        import pygraphviz
    except ImportError as exc:
        raise RenderError(
            "drawing a flow needs Graphviz through pygraphviz, which is not installed: "
            "pip install 'voicebot[graph]' (its wheel bundles Graphviz); without it "
            "`voicebot flows graph FLOW` prints Mermaid text and `-o flow.dot` writes DOT"
        ) from exc
    graph = pygraphviz.AGraph(string=dot(flow, figures))
    try:
        graph.layout(prog="dot")
        drawn = graph.draw(format=fmt)
    except (ValueError, RuntimeError) as exc:  # Graphviz's own errors, as pygraphviz raises them
        raise RenderError(f"Graphviz could not draw the flow: {exc}") from exc
    return bytes(drawn or b"")


def _count(figures: Figures, edge: Edge, shown: set[tuple[str, str]]) -> str:
    """The edge's figure; where several edges join the same two nodes (two intents to one
    node), the figure is for them all and is shown on the first only."""
    pair = (edge.source, edge.target)
    note = figures.edge_note.get(pair)
    if not note or pair in shown:
        return ""
    shown.add(pair)
    return f" ({note})"


class RenderError(VoicebotError):
    """The flow cannot be drawn here (pygraphviz is missing, or a bad file name)."""


_COLOURS = {
    "menu": "#cfe2f3",
    "collect": "#d9ead3",
    "answer": "#d0e0e3",
    "webhook": "#fff2cc",
    "say": "#eeeeee",
    "transfer": "#f4cccc",
    "hangup": "#d9d2e9",
}
_DOT_SHAPES = {
    "menu": "hexagon",
    "collect": "parallelogram",
    "answer": "trapezium",
    "webhook": "component",
    "transfer": "box3d",
    "hangup": "box",
    "say": "box",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _text(label: str) -> str:
    return label.replace('"', "'").replace("|", "/")


def _detail(node: Node) -> str:
    return {
        "menu": "menu",
        "collect": f"collect {node.collect}",
        "answer": f"answer from {len(node.answer.knowledge.entries) if node.answer else 0} FAQs",
        "webhook": "webhook",
        "transfer": f"transfer to {node.transfer}",
        "hangup": "hang up",
        "say": "say",
    }[node.kind]


def _id(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def _label(name: str, node: Node) -> str:
    return f"{name}<br/><i>{_detail(node)}</i>".replace('"', "'")
