"""`voicebot report`: the figures of a known set of calls as JSON, CSV, text and a funnel;
bad arguments get one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.analytics.records import known_calls
from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app as cli
from voicebot.storage.sqlite import SqliteCallStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    store = SqliteCallStore(path)
    known_calls(store)
    store.close()
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_gives_the_exact_counts(db: Path) -> None:
    code, out, _ = run("--db", str(db), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["calls"] == 9
    assert report["outcomes"]["contained"] == 1
    assert report["transfers"]["by_reason"]["no_input_limit"] == 1
    assert report["hang_ups"]["by_node"] == {"collect_account": 1}


def test_text_and_csv(db: Path) -> None:
    code, out, _ = run("--db", str(db))
    assert code == 0
    assert "contained      1 (12.5 %)" in out
    assert "flow acme_support 9 calls; versions v1 9" in out
    code, out, _ = run("--db", str(db), "--csv", "--flow", "acme_support")
    assert code == 0 and "outcomes.transferred,6" in out.splitlines()


def test_a_period_that_holds_no_call_counts_nothing(db: Path) -> None:
    code, out, _ = run("--db", str(db), "--json", "--since", "2001-01-01", "--until", "2001-01-31")
    assert code == 0 and json.loads(out)["calls"] == 0
    code, out, _ = run("--db", str(db), "--json", "--since", "1d")
    assert json.loads(out)["calls"] == 9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "last tuesday"), "error: 'last tuesday' is not a date or time"),
        (("--since", "2026-12-02", "--until", "2026-12-01"), "is not before --until"),
        (("--json", "--csv"), "error: --json and --csv are alternatives"),
        (("-o", "x.svg"), "error: -o draws a funnel"),
        (("--funnel", "nowhere"), "error: no flow 'nowhere'"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(
    db: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run("--db", str(db), *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_a_missing_store_is_one_line_not_a_new_empty_file(tmp_path: Path) -> None:
    code, _, err = run("--db", str(tmp_path / "nope.db"))
    assert code == 2 and "no call records at" in err
    assert not (tmp_path / "nope.db").exists()


def test_the_funnel_prints_and_draws_on_the_graph(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_FLOWS_DIR", str(FLOWS_DIR))
    code, out, _ = run("--db", str(db), "--funnel", "acme_support")
    assert code == 0
    greet = next(line for line in out.splitlines() if line.startswith("greet "))
    assert greet.split()[:3] == ["greet", "9", "5"]
    picture = tmp_path / "funnel.svg"
    code, out, _ = run("--db", str(db), "--funnel", "acme_support", "-o", str(picture))
    assert code == 0 and "reached 9" in picture.read_text()
