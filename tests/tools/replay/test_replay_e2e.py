"""A library scenario replayed against the real in-process server (real VAD, STT and TTS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voicebot.tools.replay.runner import RunOptions, run_all

pytestmark = pytest.mark.e2e
LIBRARY = Path(__file__).resolve().parents[3] / "audio_fixtures" / "scenarios"


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


async def test_replay_against_a_deployed_server_signs_the_handshake(
    tmp_path: Path, speech: Any
) -> None:
    """`--url` mode: a separate server that demands signed handshakes and an admin token for
    its call records; the right tokens pass, a wrong one fails with the reason."""
    from voicebot.server.app import build_context
    from voicebot.settings import Settings
    from voicebot.tools.demo import local_server

    settings = Settings(
        flows_dir=LIBRARY.parents[1] / "dialog_flows",
        db_path=tmp_path / "calls.db",
        twilio_auth_token="twilio-token",
        admin_token="admin-token",
    )
    scenario = LIBRARY / "card_keep_card_goes_to_fraud.yaml"
    async with local_server(build_context(settings, host="127.0.0.1", speech=speech)) as server:
        signed = RunOptions(
            url=server.stream_url,
            auth_token="twilio-token",
            admin_token="admin-token",
            speed="fast",
        )
        [passed] = await run_all([scenario], signed)
        forged = RunOptions(url=server.stream_url, auth_token="wrong", speed="fast")
        [refused] = await run_all([scenario], forged)
    assert passed.status == "pass", passed.problems
    assert [t.node for t in passed.turns] == ["collect_card", "ask_block", "fraud_team"]
    assert refused.status == "fail"
    assert "403" in refused.reason or "refused" in refused.reason, refused.reason


async def test_a_scenario_naming_a_missing_flow_fails(tmp_path: Path, speech: Any) -> None:
    scenario = tmp_path / "no_flow.yaml"
    scenario.write_text(
        "flow: no_such_flow\nturns:\n  - keys: '0'\nexpect: {outcome: transferred}\n",
        encoding="utf-8",
    )
    [result] = await run_all([scenario], RunOptions(speed="fast"), speech=speech)
    assert result.status == "fail"
    assert result.problems[0] == (
        "flow: the scenario names flow 'no_such_flow', the server has no such flow and ran "
        "'acme_support'"
    )
