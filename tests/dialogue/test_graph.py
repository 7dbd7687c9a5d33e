"""`voicebot flows graph`: the flow as Mermaid text."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.cli import app
from voicebot.dialogue.graph import mermaid
from voicebot.dialogue.loader import load_flow


def test_every_node_transition_transfer_and_retry_exit_is_drawn() -> None:
    text = mermaid(load_flow(FLOWS_DIR / "acme_support.yaml"))
    lines = text.splitlines()
    assert lines[:3] == ["%% flow acme_support", "flowchart TD", "  start((call)) --> n_greet"]
    assert "  n_greet -->|check_balance| n_collect_account" in lines
    assert "  n_ask_anything_else -->|no| n_goodbye" in lines
    assert "  n_agent -.->|transfer| queue_n_general[(queue general)]" in lines
    assert "  n_collect_account -.->|2 failures| queue_n_general[(queue general)]" in lines
    assert '  n_goodbye(["goodbye<br/><i>hang up</i>"])' in lines


def test_cli_prints_it_or_reports_a_broken_flow(tmp_path: object) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["flows", "graph", str(FLOWS_DIR / "acme_support.yaml")])
    missing = runner.invoke(app, ["flows", "graph", "nope.yaml"])
    assert ok.exit_code == 0 and ok.output.startswith("%% flow acme_support")
    assert missing.exit_code == 1 and missing.output.startswith("error: nope.yaml:1:1: unreadable")
