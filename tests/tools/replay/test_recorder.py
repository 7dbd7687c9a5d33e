"""`serve --record-fixtures`: calls become capture scenarios; sensitive input never lands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voicebot.tools.replay.model import load_scenario
from voicebot.tools.replay.recorder import redact, sensitive_windows
from voicebot.tools.replay.runner import RunOptions, run_all

LIBRARY = Path(__file__).resolve().parents[3] / "audio_fixtures" / "scenarios"


def ev(kind: str, at: float, node: str, next_node: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at, "node": node, "next_node": next_node, **data}


def test_sensitive_node_input_becomes_a_gap() -> None:
    events = [
        ev("caller_said", 10.0, "greet", "collect_pin", transcript="balance"),
        ev("caller_keyed", 12.0, "collect_pin", "collect_pin", digit="****"),
        ev("caller_keyed", 13.0, "collect_pin", "goodbye", digit="****"),
    ]
    windows = sensitive_windows(events)
    assert windows == [(10.0, 13.0)]
    media = json.dumps({"event": "media", "media": {"payload": "AAAA"}})
    dtmf = json.dumps({"event": "dtmf", "dtmf": {"digit": "7"}})
    frames = [(9.0, media), (11.0, media), (11.5, dtmf), (12.5, dtmf), (14.0, media)]
    lines = redact(frames, windows, start=9.0)
    assert lines == [
        {"t": 0.0, "frame": media},
        {"t": 2.0, "gap": {"media": 1, "dtmf": 2}},
        {"t": 5.0, "frame": media},
    ]
    assert '"7"' not in json.dumps(lines)


@pytest.mark.e2e
async def test_capture_of_a_call_replays_to_the_same_verdict(tmp_path: Path, speech: Any) -> None:
    captured = tmp_path / "captured"
    source = LIBRARY / "card_keep_card_goes_to_fraud.yaml"
    options = RunOptions(speed="fast", record_fixtures=captured)
    [original] = await run_all([source], options, speech=speech)
    assert original.status == "pass", original.problems

    [scenario] = sorted(captured.glob("*.yaml"))
    loaded = load_scenario(scenario)
    assert loaded.scenario.expect.outcome == "transferred"
    assert loaded.scenario.expect.queue == "fraud"
    capture = scenario.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()
    frames = [json.loads(json.loads(line)["frame"]) for line in capture]
    # Card digits are not sensitive, so they are kept.
    assert [f["dtmf"]["digit"] for f in frames if f["event"] == "dtmf"] == list("14412")

    [replayed] = await run_all([scenario], RunOptions(speed="fast"), speech=speech)
    assert replayed.status == "pass", replayed.problems


@pytest.mark.e2e
async def test_sensitive_digits_are_not_captured(tmp_path: Path, speech: Any) -> None:
    captured = tmp_path / "captured"
    source = LIBRARY / "card_activate_keyed_code.yaml"
    [original] = await run_all(
        [source], RunOptions(speed="fast", record_fixtures=captured), speech=speech
    )
    assert original.status == "pass", original.problems
    [capture] = captured.glob("*.jsonl")
    lines = [json.loads(line) for line in capture.read_text(encoding="utf-8").splitlines()]
    assert not any('"dtmf"' in line.get("frame", "") for line in lines)
    assert sum(line["gap"].get("dtmf", 0) for line in lines if "gap" in line) == 6
