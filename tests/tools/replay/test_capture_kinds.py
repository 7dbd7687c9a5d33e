"""`serve --record-fixtures` → `voicebot replay`: every kind of finished call, captured by a
real server from a simulated caller, replays to the outcome it was recorded with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voicebot.tools.demo_backend import ENV_VAR, BillingBackend
from voicebot.tools.replay.model import load_scenario
from voicebot.tools.replay.runner import FAST_FACTOR, RunOptions, in_process_server, run_all
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import DropSocket, HangUp, Keys, Scenario

pytestmark = pytest.mark.e2e

ACME = {"flow": "acme_support"}
CARD = {"flow": "card_services"}
# Keypad only, so recording and replay hear exactly the same thing whatever the machine's load.
CALLS = {
    "hang_up": (Scenario("hang_up", (Keys("1"), HangUp()), parameters=ACME), "hung_up"),
    "transfer": (Scenario("transfer", (Keys("0"),), parameters=ACME), "transferred"),
    "goodbye": (
        Scenario("goodbye", (Keys("1"), Keys("4412"), Keys("1")), parameters=CARD),
        "completed",
    ),
    "dropped": (Scenario("dropped", (Keys("1"), DropSocket()), parameters=ACME), "stream_dropped"),
    "masked_pin": (  # the PIN is sensitive: the capture keeps a gap, the replay a stand-in
        Scenario(
            "masked_pin",
            (Keys("1"), Keys("12345678"), Keys("1"), Keys("4321"), HangUp()),
            parameters=ACME,
        ),
        "hung_up",
    ),
}
# What the caller keyed while the bot asked for sensitive slots (account number, its
# confirmation, PIN): masked in the capture.
MASKED_KEYS = "12345678" + "1" + "4321"
# The bot ends a finished call once its goodbye has been heard (the last mark echoed), which
# on a loaded machine can take a while in compressed time: wait past the 30 s fallback.
PATIENCE = 20.0


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, speech: Any) -> dict[str, Path]:
    """Each call placed once against a recording server; the capture scenario it left."""
    import asyncio

    folder = tmp_path_factory.mktemp("captured")
    made: dict[str, Path] = {}

    async def record() -> None:
        for kind, (scenario, _) in CALLS.items():
            before = set(folder.glob("*.yaml"))
            async with in_process_server(
                FAST_FACTOR, folder / f"{kind}.db", speech, record_fixtures=folder
            ) as server:
                simulator = CallerSimulator(
                    server.stream_url, speed=FAST_FACTOR, reply_timeout=PATIENCE
                )
                await simulator.run(scenario)
                for _ in range(100):  # the capture is written when the server ends the call
                    if set(folder.glob("*.yaml")) - before:
                        break
                    await asyncio.sleep(0.05)
            (made[kind],) = set(folder.glob("*.yaml")) - before

    with BillingBackend() as url:
        mp = pytest.MonkeyPatch()
        mp.setenv(ENV_VAR, url)
        try:
            asyncio.run(record())
        finally:
            mp.undo()
    return made


@pytest.mark.parametrize("kind", list(CALLS))
async def test_a_capture_replays_to_its_recorded_outcome(
    kind: str, captured: dict[str, Path], speech: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = captured[kind]
    recorded = load_scenario(scenario).scenario
    expected_outcome = CALLS[kind][1]
    if expected_outcome != "stream_dropped":
        assert recorded.expect.outcome == expected_outcome, scenario.read_text()
    if kind == "masked_pin":
        # The account number and the PIN are sensitive, so the capture holds gaps and the
        # scenario a stand-in per masked key; a tester puts in test values the backend knows.
        stand_in = recorded.turns[0].masked_keys
        assert stand_in == "1" * len(MASKED_KEYS)
        text = scenario.read_text(encoding="utf-8")
        scenario.write_text(text.replace(f"'{stand_in}'", f"'{MASKED_KEYS}'"), encoding="utf-8")
    with BillingBackend() as url:
        monkeypatch.setenv(ENV_VAR, url)
        options = RunOptions(speed="fast", reply_timeout=PATIENCE)
        [replayed] = await run_all([scenario], options, speech=speech)
    assert replayed.status == "pass", (replayed.problems, scenario.read_text())
    if kind == "masked_pin":  # the PIN was keyed (in the replay: the stand-in), then looked up
        assert recorded.turns[0].expect is not None
        assert recorded.turns[0].expect.node == "lookup_balance"  # not collect_pin


def test_a_masked_pin_is_a_gap_with_a_stand_in_value(captured: dict[str, Path]) -> None:
    scenario = captured["masked_pin"]
    lines = [json.loads(line) for line in scenario.with_suffix(".jsonl").read_text().splitlines()]
    keyed = [
        json.loads(line["frame"])["dtmf"]["digit"]
        for line in lines
        if '"dtmf"' in line.get("frame", "")
    ]
    assert keyed == ["1"]  # the menu key; the account number, its "yes" and the PIN are not
    assert sum(line["gap"].get("dtmf", 0) for line in lines if "gap" in line) == len(MASKED_KEYS)


def test_the_caller_closing_the_stream_is_captured(captured: dict[str, Path]) -> None:
    for kind in ("hang_up", "dropped"):
        lines = captured[kind].with_suffix(".jsonl").read_text().splitlines()
        assert json.loads(lines[-1]).get("closed") is True, kind
    transfer = captured["transfer"].with_suffix(".jsonl").read_text().splitlines()
    assert "closed" not in json.loads(transfer[-1])  # the bot ended that call
