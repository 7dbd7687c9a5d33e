"""`voicebot flows graph`: the flow as Mermaid text, or drawn as SVG/PNG."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app
from voicebot.flows.graph import mermaid
from voicebot.flows.loader import load_flow


def test_every_node_transition_transfer_and_retry_exit_is_drawn() -> None:
    text = mermaid(load_flow(FLOWS_DIR / "acme_support.yaml"))
    lines = text.splitlines()
    assert lines[:3] == ["%% flow acme_support", "flowchart TD", "  start((call)) --> n_greet"]
    assert "  n_greet -->|check_balance| n_collect_account" in lines
    assert "  n_ask_anything_else -->|no| n_goodbye" in lines
    assert "  n_queue_general[(queue general)]" in lines
    assert "  n_agent -.->|transfer| n_queue_general" in lines
    assert "  n_collect_account -.->|3 failures| n_queue_general" in lines
    assert '  n_goodbye(["goodbye<br/><i>hang up</i>"])' in lines


def test_cli_prints_it_or_reports_a_broken_flow(tmp_path: object) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["flows", "graph", str(FLOWS_DIR / "acme_support.yaml")])
    missing = runner.invoke(app, ["flows", "graph", "nope.yaml"])
    assert ok.exit_code == 0 and ok.output.startswith("%% flow acme_support")
    assert missing.exit_code == 1 and missing.output.startswith("error: nope.yaml:1:1: unreadable")


def test_conditions_webhooks_and_their_failure_exits_are_drawn(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(
        """flow: f
slots: {balance: {type: number}}
nodes:
  lookup:
    webhook: {url: "http://x.test", fills: {balance: b}}
    if: [{when: "balance > 100", goto: big}]
    next: small
    on_failure: small
  big: {say: "Big.", hangup: true}
  small: {say: "Small.", hangup: true}
""",
        encoding="utf-8",
    )
    lines = mermaid(load_flow(flow)).splitlines()
    assert "  n_lookup -->|if balance > 100| n_big" in lines
    assert "  n_lookup -->|else| n_small" in lines
    assert "  n_lookup -.->|webhook failed| n_small" in lines


def test_cli_draws_svg_and_png(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("acme.svg", "acme.png"):
        out = tmp_path / name
        result = runner.invoke(
            app, ["flows", "graph", str(FLOWS_DIR / "acme_support.yaml"), "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
    svg = (tmp_path / "acme.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "collect_account" in svg
    assert (tmp_path / "acme.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _numbers(text: str) -> list[tuple[float, float]]:
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]
    return list(zip(values[::2], values[1::2], strict=False))


def _box(points: list[tuple[float, float]], shrink: float) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    dx, dy = (max(xs) - min(xs)) * shrink / 2, (max(ys) - min(ys)) * shrink / 2
    return min(xs) + dx, min(ys) + dy, max(xs) - dx, max(ys) - dy


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] < point[0] < box[2] and box[1] < point[1] < box[3]


def _curve(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Béziers (`M x,y C x1,y1 x2,y2 x3,y3 …`)."""
    points = _numbers(d)
    samples = [points[0]]
    for i in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = points[i - 1], points[i], points[i + 1], points[i + 2]
        for step in range(1, 11):
            t = step / 10
            samples.append(
                tuple(  # type: ignore[arg-type]
                    (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * e
                    for a, b, c, e in zip(p0, p1, p2, p3, strict=True)
                )
            )
    return samples


@pytest.mark.parametrize("flow", ["acme_support", "card_services"])
def test_drawing_is_legible(flow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Boxes apart, no edge through a box it does not start or end at, no label on a box.
    pytest.importorskip("pygraphviz", reason="drawing needs the graph extra")
    monkeypatch.setenv("VOICEBOT_FLOWS_DIR", str(FLOWS_DIR))
    out = tmp_path / f"{flow}.svg"
    result = CliRunner().invoke(app, ["flows", "graph", flow, "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = ElementTree.parse(out).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for group in svg.iterfind(".//s:g[@class='node']", ns):
        name = group.findtext("s:title", namespaces=ns) or ""
        shape = next(e for e in group if e.tag.rsplit("}")[-1] in ("polygon", "path", "ellipse"))
        if shape.tag.endswith("ellipse"):
            cx, cy = float(shape.get("cx", 0)), float(shape.get("cy", 0))
            rx, ry = float(shape.get("rx", 0)), float(shape.get("ry", 0))
            points = [(cx - rx, cy - ry), (cx + rx, cy + ry)]
        else:
            points = _numbers(shape.get("points") or shape.get("d") or "")
        boxes[name] = _box(points, shrink=0.3)  # the inner part: shapes are not rectangles
    assert len(boxes) > 8
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            one, two = boxes[a], boxes[b]
            apart = one[2] <= two[0] or two[2] <= one[0] or one[3] <= two[1] or two[3] <= one[1]
            assert apart, f"boxes {a} and {b} overlap"
    for group in svg.iterfind(".//s:g[@class='edge']", ns):
        source, _, target = (group.findtext("s:title", namespaces=ns) or "").partition("->")
        path = group.find("s:path", ns)
        assert path is not None
        for point in _curve(path.get("d", "")):
            for name, box in boxes.items():
                if name not in (source, target):
                    assert not _inside(point, box), f"edge {source}->{target} crosses {name}"
        for text in group.iterfind("s:text", ns):
            spot = (float(text.get("x", 0)), float(text.get("y", 0)))
            for name, box in boxes.items():
                assert not _inside(spot, box), f"label '{text.text}' lies on {name}"


def test_without_graphviz_it_says_how_to_get_it_and_still_writes_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # as if the graph extra were absent
    flow = str(FLOWS_DIR / "card_services.yaml")
    runner = CliRunner()
    drawn = runner.invoke(app, ["flows", "graph", flow, "-o", str(tmp_path / "card.png")])
    dot_file = runner.invoke(app, ["flows", "graph", flow, "-o", str(tmp_path / "card.dot")])
    assert drawn.exit_code == 1
    assert drawn.output.startswith("error: drawing a flow needs Graphviz through pygraphviz")
    assert "pip install 'voicebot[graph]'" in drawn.output and "Traceback" not in drawn.output
    assert dot_file.exit_code == 0, dot_file.output
    text = (tmp_path / "card.dot").read_text(encoding="utf-8")
    assert text.startswith('digraph "flow card_services" {')
    assert '"ask_block" -> "fraud_team" [label=" no "];' in text
