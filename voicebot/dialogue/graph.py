"""A flow as a picture: Mermaid flowchart text of its nodes, transitions, transfers and exits.

Mermaid renders in GitHub, GitLab and most Markdown editors, and `mmdc` turns it into SVG/PNG.
"""

from __future__ import annotations

from voicebot.dialogue.flow import Flow, Node

SHAPES = {
    "menu": ('{{"', '"}}'),
    "collect": ('[/"', '"/]'),
    "transfer": ('[["', '"]]'),
    "hangup": ('(["', '"])'),
    "say": ('["', '"]'),
}


def mermaid(flow: Flow) -> str:
    lines = [f"%% flow {flow.flow}", "flowchart TD", "  start((call)) --> " + _id(flow.start_node)]
    for name, node in flow.nodes.items():
        left, right = SHAPES[node.kind]
        lines.append(f"  {_id(name)}{left}{_label(name, node)}{right}")
    for name, node in flow.nodes.items():
        lines += [
            f"  {_id(name)} -->|{intent}| {_id(target)}"
            for intent, target in (node.on or {}).items()
        ]
        if node.next:
            lines.append(f"  {_id(name)} --> {_id(node.next)}")
        if node.branch is not None:
            lines.append(f"  {_id(name)} -->|yes| {_id(node.branch.yes)}")
            lines.append(f"  {_id(name)} -->|no| {_id(node.branch.no)}")
        if node.transfer:
            lines.append(
                f"  {_id(name)} -.->|transfer| queue_{_id(node.transfer)}[(queue {node.transfer})]"
            )
        if node.kind in ("menu", "collect"):
            target = (
                _id(node.on_max_retries)
                if node.on_max_retries
                else f"queue_{_id(flow.default_queue)}[(queue {flow.default_queue})]"
            )
            lines.append(f"  {_id(name)} -.->|{node.max_retries} failures| {target}")
    return "\n".join(lines) + "\n"


def _id(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def _label(name: str, node: Node) -> str:
    detail = {
        "menu": "menu",
        "collect": f"collect {node.collect}",
        "transfer": f"transfer to {node.transfer}",
        "hangup": "hang up",
        "say": "say",
    }[node.kind]
    return f"{name}<br/><i>{detail}</i>".replace('"', "'")
