"""`voicebot replay` on bad command lines: one line and exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from voicebot.app.cli import app

KEYS_ONLY = "flow: card_services\nturns: [{keys: '1'}]\n"


def test_a_missing_scenario_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["replay", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.output == f"error: no such scenario file or folder: {tmp_path / 'nope.yaml'}\n"


def test_an_unwritable_report_path_is_one_line_before_the_run(tmp_path: Path) -> None:
    scenario = tmp_path / "keys.yaml"
    scenario.write_text(KEYS_ONLY, encoding="utf-8")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    runner = CliRunner()
    for option, target in (("--junit", blocker / "r.xml"), ("--report", tmp_path)):
        result = runner.invoke(app, ["replay", str(scenario), option, str(target)])
        assert result.exit_code == 2, result.output
        assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output
        assert result.output.startswith(f"error: {option} {target}: ")
        assert "Replaying" not in result.output  # refused before any call was placed
