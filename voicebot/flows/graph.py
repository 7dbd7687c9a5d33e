"""A flow as a picture: Mermaid flowchart text of its nodes, transitions, transfers and exits,
and the same graph drawn as SVG or PNG (networkx + matplotlib, the `graph` extra), optionally
coloured and labelled with figures (the call funnel).

Mermaid renders in GitHub, GitLab and most Markdown editors.
"""

from __future__ import annotations

import io
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
    label per edge (source, target), and a title."""

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


def render(flow: Flow, path: Path, figures: Figures | None = None) -> None:
    """Draw the flow into an SVG or PNG file (by the file's suffix)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise RenderError(f"cannot draw into '{path.name}': use a .svg or .png file name")
    path.write_bytes(draw(flow, fmt, figures))


def draw(flow: Flow, fmt: str, figures: Figures | None = None) -> bytes:
    """The flow drawn as `fmt` ("svg" or "png"), with `figures` over it when given."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: files only
        import matplotlib.pyplot as plt
        import networkx as nx
    except ImportError as exc:
        raise RenderError(
            "drawing a flow needs the graph extra: pip install 'voicebot[graph]'"
        ) from exc
    if fmt not in ("svg", "png"):
        raise RenderError(f"cannot draw as '{fmt}': use svg or png")
    figures = figures or Figures()
    graph = nx.MultiDiGraph()
    for name, node in flow.nodes.items():
        note = figures.node_note.get(name)
        label = f"{name}\n({_detail(node)})" + (f"\n{note}" if note else "")
        graph.add_node(name, label=label)
    for edge in edges(flow):
        label = edge.label
        count = figures.edge_note.get((edge.source, edge.target))
        if count:
            label = f"{label} ({count})" if label else f"({count})"
        graph.add_edge(edge.source, edge.target, label=label, exit=edge.exit)
    for name in graph.nodes:
        graph.nodes[name].setdefault("label", name)
    # Layers by distance from the start; queues (and nodes only global commands reach) last.
    depth = {n: d for n, d in _depths(graph, flow.start_node).items() if n in flow.nodes}
    last = max(depth.values(), default=0) + 1
    for name in graph.nodes:
        graph.nodes[name]["layer"] = depth.get(name, last)
    positions = nx.multipartite_layout(graph, subset_key="layer", align="horizontal", scale=4)
    positions = {n: (x, -y) for n, (x, y) in positions.items()}  # start at the top
    layers = max(d["layer"] for _, d in graph.nodes(data=True)) + 1
    widest = max(
        sum(1 for _, d in graph.nodes(data=True) if d["layer"] == i) for i in range(layers)
    )
    tall = 1.0 + 0.25 * max((n.count("\n") for n in figures.node_note.values()), default=0)
    size = 2600 if not figures.node_note else 5200
    figure = plt.figure(figsize=(max(8, 2.6 * widest * tall), max(6, 1.7 * layers * tall)))
    for exit_edges, style in ((False, "solid"), (True, "dashed")):
        chosen = [(u, v) for u, v, d in graph.edges(data=True) if d["exit"] is exit_edges]
        nx.draw_networkx_edges(
            graph,
            positions,
            edgelist=chosen,
            style=style,
            arrows=True,
            node_size=size,
            connectionstyle="arc3,rad=0.08",
            edge_color="#555555",
        )
    colours = [
        figures.node_colour.get(n)
        or _COLOURS.get(getattr(flow.nodes.get(n), "kind", "queue"), "#f4cccc")
        for n in graph
    ]
    nx.draw_networkx_nodes(graph, positions, node_color=colours, node_shape="s", node_size=size)
    nx.draw_networkx_labels(
        graph, positions, labels=nx.get_node_attributes(graph, "label"), font_size=7
    )
    labels = {(u, v): d["label"] for u, v, d in graph.edges(data=True) if d["label"]}
    nx.draw_networkx_edge_labels(graph, positions, edge_labels=labels, font_size=6)
    plt.title(figures.title or f"flow {flow.flow}")
    plt.axis("off")
    out = io.BytesIO()
    # Text as text in SVG (searchable, smaller) rather than glyph outlines.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(out, format=fmt, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


class RenderError(VoicebotError):
    """The flow cannot be drawn here (the graph extra is missing, or a bad file name)."""


_COLOURS = {
    "menu": "#cfe2f3",
    "collect": "#d9ead3",
    "answer": "#d0e0e3",
    "webhook": "#fff2cc",
    "say": "#eeeeee",
    "transfer": "#f4cccc",
    "hangup": "#d9d2e9",
}


def _depths(graph: object, start: str) -> dict[str, int]:
    import networkx as nx

    return dict(nx.single_source_shortest_path_length(graph, start))  # type: ignore[call-overload]


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
