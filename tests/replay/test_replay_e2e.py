"""A library scenario replayed against the real in-process server (real VAD, STT and TTS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voicebot.replay.runner import RunOptions, run_all

pytestmark = pytest.mark.e2e
LIBRARY = Path(__file__).resolve().parents[2] / "audio_fixtures" / "scenarios"


async def test_fast_replay_of_a_library_scenario(tmp_path: Path, speech: Any) -> None:
    scenario = LIBRARY / "card_keep_card_goes_to_fraud.yaml"
    options = RunOptions(speed="fast", out_dir=tmp_path)
    [result] = await run_all([scenario], options, speech=speech)
    assert result.status == "pass", result.problems
    assert [t.node for t in result.turns] == ["collect_card", "ask_block", "fraud_team"]
    assert result.recording is not None and result.recording.stat().st_size > 0


async def test_a_wrong_expectation_fails_with_expected_and_actual(
    tmp_path: Path, speech: Any
) -> None:
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text(
        "flow: card_services\nturns:\n  - keys: '1'\n    expect: {node: ask_block}\n"
        "  - hang_up: true\nexpect: {outcome: completed}\n",
        encoding="utf-8",
    )
    [result] = await run_all([scenario], RunOptions(speed="fast"), speech=speech)
    assert result.problems == [
        "turn 1 (keys) node: expected 'ask_block', got 'collect_card'",
        "outcome: expected 'completed', got 'hung_up'",
    ]
