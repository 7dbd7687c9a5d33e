"""SIGTERM on a real `voicebot serve` process mid-call: new calls refused, the live call ends
normally, the process exits 0; with two workers, /metrics adds up both."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.conftest import DEMO_AUDIO
from tests.server.serve_process import ServeProcess, answered_demo_call
from voicebot.storage import open_store
from voicebot.tools.demo import demo_scenario
from voicebot.tools.demo_backend import ENV_VAR, BillingBackend
from voicebot.tools.simulator.caller import CallerSimulator, CallResult

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

SPEED = 2.0  # the call lasts ~15 s: long enough to signal the server in the middle


@pytest.fixture
def billing() -> Iterator[str]:
    with BillingBackend() as url:
        yield url


def end_reason(db: Path, call_sid: str) -> str | None:
    record = open_store(None, db).get_call(call_sid)
    return None if record is None else record["end_reason"]


async def call_then_signal(
    server: ServeProcess, sig: int = signal.SIGTERM
) -> asyncio.Future[CallResult]:
    """Start the demo call; once the bot has answered the caller's first turn, signal."""
    call = await answered_demo_call(server.stream_url, SPEED)
    server.signal(sig)
    await asyncio.sleep(1.0)  # the worker has begun its drain
    return call


async def test_sigterm_drains_a_live_call_then_exits(tmp_path: Path, billing: str) -> None:
    db = tmp_path / "calls.db"
    server = ServeProcess(db, "--drain-secs", "60", env={ENV_VAR: billing})
    try:
        await server.started()
        call = await call_then_signal(server)
        assert not call.done(), "the call ended as soon as the server was told to stop"
        # Draining: the load balancer's health check and a new call are refused.
        health = await server.get("/healthz")
        assert health.status_code == 503 and health.json()["live_calls"] == 1
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(server.stream_url)
        assert refused.value.response.status_code == 503
        result = await asyncio.wait_for(call, 90)
        assert result.error is None, result.error
        assert result.ended_by == "bot" and len(result.latencies_ms) == 5
        assert await server.exited() == 0
    finally:
        server.stop()
    assert end_reason(db, result.call_sid) == "completed"
    assert "SIGTERM: draining 1 live calls" in server.output


async def test_two_workers_drain_together_and_share_metrics(tmp_path: Path, billing: str) -> None:
    db = tmp_path / "calls.db"
    server = ServeProcess(db, "--workers", "2", "--drain-secs", "60", env={ENV_VAR: billing})
    try:
        await server.started(workers=2)
        first = await CallerSimulator(server.stream_url, speed=4.0).run(demo_scenario(DEMO_AUDIO))
        assert first.error is None, first.error
        # Whichever worker answers the scrape, it counts both workers' calls.
        for _ in range(4):
            page = (await server.get("/metrics")).text
            assert 'voicebot_calls_total{outcome="completed"} 1.0' in page
            assert 'voicebot_model_loaded{backend="pocketsphinx",stage="stt"} 1.0' in page
        call = await call_then_signal(server)  # SIGTERM to the parent, as docker stop does
        assert not call.done()
        result = await asyncio.wait_for(call, 90)
        assert result.error is None, result.error
        assert await server.exited() == 0
    finally:
        server.stop()
    assert end_reason(db, first.call_sid) == end_reason(db, result.call_sid) == "completed"
    assert server.output.count("SIGTERM: draining") == 2  # each worker drained
