"""/metrics after a real call; a draining worker refuses new calls with 503 (in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import DEMO_AUDIO, FLOWS_DIR
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, demo_scenario, local_server
from voicebot.tools.simulator.caller import CallerSimulator

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db", admin_token="s3cret")
    async with local_server(build_context(settings, host="127.0.0.1", speech=speech)) as running:
        yield running


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(server: LocalServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        response = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_metrics_count_a_real_call_by_stage_and_outcome(server: LocalServer) -> None:
    before = await scrape(server)
    result = await CallerSimulator(server.stream_url, speed=4.0).run(demo_scenario(DEMO_AUDIO))
    assert result.error is None
    record = await server.ended_call(result.call_sid)
    assert record["end_reason"] == "completed"
    after = await scrape(server)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("voicebot_calls_total", outcome="completed") == 1
    assert after[("voicebot_active_calls", ())] == 0
    # Four spoken turns answered (the fifth turn is keys): each stage timed per turn.
    for stage in ("end_of_turn", "stt", "dialogue", "tts_first_audio"):
        assert grew("voicebot_turn_stage_seconds_count", stage=stage) >= 4, stage
    ended = grew("voicebot_turn_stage_seconds_count", stage="end_of_turn")
    assert ended == grew("voicebot_turn_stage_seconds_count", stage="stt")  # once per turn
    assert grew("voicebot_response_seconds_count") >= 4
    assert grew("voicebot_response_seconds_sum") > 0
    assert after[("voicebot_model_loaded", (("backend", "pocketsphinx"), ("stage", "stt")))] == 1


async def test_metrics_need_the_admin_token_when_one_is_set(server: LocalServer) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


async def test_a_draining_worker_refuses_new_calls_with_503(server: LocalServer) -> None:
    server.ctx.calls.draining = True
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base) as client:
        voice = await client.post("/twilio/voice", data={"CallSid": "CA1", "From": "+15550100"})
        health = await client.get("/healthz")
    assert voice.status_code == 503 and voice.headers["retry-after"] == "1"
    assert health.status_code == 503 and health.json()["status"] == "draining"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.stream_url)
    assert refused.value.response.status_code == 503
    # Refused before a call began: nothing was recorded.
    assert server.ctx.store.get_call("CA1") is None
