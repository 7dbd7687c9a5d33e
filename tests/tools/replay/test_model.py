"""The scenario format: unknown keys and impossible turns are clear errors; the schema is fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.tools.replay.model import (
    SCHEMA_FILE,
    ScenarioError,
    find_scenarios,
    load_scenario,
    scenario_schema_json,
)

REPO = Path(__file__).resolve().parents[3]
LIBRARY = REPO / "audio_fixtures" / "scenarios"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_scenario_loads_with_defaults(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, "flow: acme_support\nturns: [{keys: '0'}]\n"))
    assert loaded.name == "s"
    assert loaded.scenario.turns[0].kind == "keys"
    assert loaded.scenario.caller.number == "+15005550006"


def test_unknown_key_names_where(tmp_path: Path) -> None:
    text = "flow: acme_support\nturns:\n  - keys: '1'\n    expect: {nod: greet}\n"
    with pytest.raises(ScenarioError, match=r"turns\.0\.expect\.nod: unknown key"):
        load_scenario(write(tmp_path, text))


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="colour: unknown key"):
        load_scenario(write(tmp_path, "flow: x\ncolour: red\nturns: [{keys: '1'}]\n"))


@pytest.mark.parametrize(
    ("turn", "message"),
    [
        ("{keys: '1', silence: 2}", "exactly one of"),
        ("{voice: en-gb}", "exactly one of"),
        ("{audio: a.wav, say: hello}", "not both"),
        ("{keys: '1', barge_in_ms: 300}", "barge_in_ms"),
        ("{keys: '12a'}", "pattern"),
    ],
)
def test_impossible_turns(tmp_path: Path, turn: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, f"flow: x\nturns: [{turn}]\n"))


def test_bad_yaml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(write(tmp_path, "flow: [unclosed\n"))
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


def test_library_loads_and_is_big_enough() -> None:
    files = find_scenarios([LIBRARY])
    assert len(files) >= 20
    flows = {load_scenario(f).scenario.flow for f in files}
    assert flows == {"acme_support", "card_services"}


def test_committed_schema_is_current() -> None:
    assert (REPO / SCHEMA_FILE).read_text(encoding="utf-8") == scenario_schema_json(), (
        "audio_fixtures/scenario.schema.json is stale: regenerate it (see the README)"
    )
