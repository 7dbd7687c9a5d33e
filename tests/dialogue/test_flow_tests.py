"""`voicebot flows test`: conversation tests in YAML, run through the engine as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app
from voicebot.dialogue.conversation_tests import load_test_file, run_test_files
from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flows

WRONG = """\
flow: acme_support
tests:
  wrong_node:
    steps:
      - {caller: "check my balance", node: outage}
  wrong_words:
    steps:
      - {caller: "report an outage", bot_says: "balloons"}
  wrong_outcome:
    steps:
      - {caller: "agent"}
    outcome: completed
  wrong_slot:
    steps:
      - {caller: "check my balance"}
      - {keys: "12345678"}
      - {caller: "yes"}
    slots: {account_number: "87654321"}
"""


def test_shipped_flow_tests_pass() -> None:
    run = run_test_files(sorted((FLOWS_DIR / "tests").glob("*.yaml")), load_flows(FLOWS_DIR))
    assert len(run.results) >= 9
    assert run.failed == []


def test_each_failure_names_the_step_and_the_difference(tmp_path: Path) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(WRONG)
    run = run_test_files([path], load_flows(FLOWS_DIR))
    assert {r.name: r.failure for r in run.results} == {
        "wrong_node": "step 1: expected node 'outage', the call is in 'collect_account'",
        "wrong_words": "step 1: expected the bot to say 'balloons', it said 'I'm sorry your "
        "power is off. What's your postcode? For example, s w one a, two a a.'",
        "wrong_outcome": "outcome: expected completed, got transferred",
        "wrong_slot": "slot account_number: expected '87654321', got '12345678'",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("flow: x\ntests:\n  t: {stepz: []}\n", "extra_forbidden: tests.t.stepz"),
        ("flow: x\ntests:\n  t: {steps: [{caller: hi, keys: '1'}]}\n", "value_error"),
        ("flow: x\ntests: [unclosed\n", "yaml_syntax"),
    ],
)
def test_a_broken_test_file_is_one_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(FlowError) as caught:
        load_test_file(path)
    assert caught.value.problems[0].startswith(f"{path}:")
    assert problem in caught.value.problems[0]


def test_cli_exit_codes(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(WRONG)
    runner = CliRunner()
    passing = runner.invoke(app, ["flows", "test", "--flows-dir", str(FLOWS_DIR)])
    failing = runner.invoke(app, ["flows", "test", str(wrong), "--flows-dir", str(FLOWS_DIR)])
    missing = runner.invoke(app, ["flows", "test", str(tmp_path / "nope.yaml")])
    assert passing.exit_code == 0 and " 0 failed" in passing.output
    assert failing.exit_code == 1 and "0 passed, 4 failed" in failing.output
    assert missing.exit_code == 1 and missing.output.startswith("error: ")
