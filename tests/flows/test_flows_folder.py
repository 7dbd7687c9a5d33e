"""Every command finds the flows from VOICEBOT_FLOWS_DIR, from any folder, or names the folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app
from voicebot.server.app import build_context
from voicebot.settings import Settings


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example flows under a non-default name, run from an unrelated folder."""
    flows = tmp_path / "my_flows"
    shutil.copytree(FLOWS_DIR, flows)
    work = tmp_path / "somewhere_else"
    work.mkdir()
    monkeypatch.chdir(work)
    return flows


def test_validate_and_test_read_the_setting_from_any_folder(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_FLOWS_DIR", str(elsewhere))
    runner = CliRunner()
    tested = runner.invoke(app, ["flows", "test"])
    (elsewhere / "card_services.yaml").write_text(
        (elsewhere / "card_services.yaml").read_text().replace("next: ", "next: x", 1)
    )
    validated = runner.invoke(app, ["flows", "validate"])
    assert validated.exit_code == 1
    assert f"{elsewhere / 'card_services.yaml'}:" in validated.output  # its own broken flow
    assert "unknown_node" in validated.output
    assert f"{elsewhere / 'tests' / 'acme_support.yaml'}: balance_by_voice: PASS" in tested.output


def test_commands_name_the_missing_folder(elsewhere: Path) -> None:
    runner = CliRunner()
    expected = f"flows folder dialog_flows ({Path.cwd() / 'dialog_flows'}) not found"
    for command in (["flows", "validate"], ["flows", "test"], ["serve", "--port", "1"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, command
        assert result.output.startswith(f"error: {expected}"), (command, result.output)
        assert "VOICEBOT_FLOWS_DIR" in result.output and "Traceback" not in result.output


def test_serve_loads_the_flows_the_setting_names(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, speech: Any
) -> None:
    monkeypatch.setenv("VOICEBOT_FLOWS_DIR", str(elsewhere))
    settings = Settings.from_env(db_path=tmp_path / "calls.db")
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    assert sorted(ctx.flows) == ["acme_support", "card_services"]


def test_flows_test_given_the_flows_folder_runs_its_tests(elsewhere: Path) -> None:
    result = CliRunner().invoke(app, ["flows", "test", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert f"{elsewhere / 'tests' / 'card_services.yaml'}:" in result.output


def test_flows_test_given_a_flow_file_says_what_it_expected(elsewhere: Path) -> None:
    flow = elsewhere / "acme_support.yaml"
    result = CliRunner().invoke(app, ["flows", "test", str(flow), "--flows-dir", str(elsewhere)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {flow}:1:1: not_a_test_file: this is a flow, not a conversation test file; "
        f"its tests live in {elsewhere / 'tests'}/ (files with `flow:` and `tests:`)\n"
    )


def test_graph_takes_a_flow_name(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBOT_FLOWS_DIR", str(elsewhere))
    runner = CliRunner()
    by_name = runner.invoke(app, ["flows", "graph", "card_services"])
    unknown = runner.invoke(app, ["flows", "graph", "no_such_flow"])
    assert by_name.exit_code == 0 and by_name.output.startswith("%% flow card_services")
    assert unknown.exit_code == 1
    assert (
        unknown.output == f"error: no flow named 'no_such_flow' in {elsewhere} (and no such file)\n"
    )
