"""`voicebot flows graph`: the flow as Mermaid text, or drawn as SVG/PNG."""

from __future__ import annotations

from pathlib import Path

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
    assert "  n_collect_account -.->|2 failures| n_queue_general" in lines
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
