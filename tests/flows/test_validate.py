"""`voicebot flows validate` and `flows schema`: every problem, placed at file:line:col."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app
from voicebot.flows.schema import flow_schema_json
from voicebot.flows.validate import validate_paths

LINTED = """\
flow: linted
queues:
  general: {}
intents:
  billing: {examples: ["billing", "my bill"]}
  payments: {examples: ["pay", "my bill"]}
  brand: {examples: ["zorblax support"]}
slots:
  account: {type: digits, length: 8, dtmf: false}
nodes:
  greet:
    say: "Billing, payments or brand?"
    on: {billing: ask_account, payments: ask_account, brand: loop_a}
  ask_account:
    collect: account
    prompt: "Your account number?"
    next: done
  loop_a:
    say: "A"
    on: {billing: loop_b}
  loop_b:
    say: "B"
    on: {billing: loop_a}
  orphan:
    say: "Nobody comes here."
    hangup: true
  done:
    say: "Bye."
    hangup: true
"""


def test_shipped_flows_are_clean() -> None:
    assert validate_paths([FLOWS_DIR]) == []


def test_every_lint_rule_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "linted.yaml"
    path.write_text(LINTED)
    assert [str(d).removeprefix(f"{path}:") for d in validate_paths([path])] == [
        "6:32: error duplicate_example 'my bill' is also an example of intent 'billing' "
        "in menu node 'greet'",
        "7:22: error unknown_word the recogniser cannot hear 'zorblax' (not in its "
        "pronunciation dictionary); rephrase 'zorblax support'",
        "9:44: warning keypad_missing numeric slot 'account' cannot be keyed in: callers the "
        "recogniser mishears have no way through (set dtmf: true)",
        "18:3: warning no_way_out no path from node 'loop_a' reaches a transfer or hangup node; "
        "callers can only leave by asking for an agent or saying goodbye",
        "21:3: warning no_way_out no path from node 'loop_b' reaches a transfer or hangup node; "
        "callers can only leave by asking for an agent or saying goodbye",
        "24:3: warning unreachable_node no path from the start node 'greet' leads to node 'orphan'",
    ]


def test_cli_exit_code_follows_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("flow: broken\nnodes:\n  greet: {sya: hello}\n")
    runner = CliRunner()
    clean = runner.invoke(app, ["flows", "validate", str(FLOWS_DIR)])
    failing = runner.invoke(app, ["flows", "validate", str(broken), str(tmp_path / "nope.yaml")])
    assert clean.exit_code == 0
    assert failing.exit_code == 1
    assert f"{broken}:3:11: error extra_forbidden" in failing.output
    assert f"{tmp_path / 'nope.yaml'}:1:1: error not_found no such file" in failing.output
    assert "Traceback" not in failing.output


def test_committed_schema_is_current() -> None:
    committed = (FLOWS_DIR / "flow.schema.json").read_text(encoding="utf-8")
    assert committed == flow_schema_json(), "run `voicebot flows schema` and commit the result"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False
    assert "description" in schema["$defs"]["Node"]["properties"]["say"]
