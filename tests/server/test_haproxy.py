"""Two `voicebot serve` workers behind a real HAProxy on loopback, sharing one PostgreSQL: calls
spread over both; a worker killed mid-call has its caller queued by the other through
after-stream; a rolling restart under load drops no call.

Needs the `haproxy` binary (Debian package `haproxy`; .ci/run installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import DEMO_AUDIO
from tests.server.serve_process import ServeProcess, answered_demo_call
from voicebot.storage import open_store
from voicebot.storage.calls import CallStore
from voicebot.tools.demo import demo_scenario
from voicebot.tools.demo_backend import ENV_VAR, BillingBackend
from voicebot.tools.simulator.caller import CallerSimulator, CallResult

HAPROXY = shutil.which("haproxy")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        HAPROXY is None, reason="haproxy is not installed (apt-get install haproxy)"
    ),
]
SPEED = 2.0
# One decode process per worker: the workers start faster on a small CI machine.
WORKER_ENV = {"VOICEBOT_STT_PROCESSES": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def haproxy_config(port: int, backends: list[int]) -> str:
    """Websocket-capable balancing as docs/deploy.md describes: health checks on /healthz (503
    while a worker drains), and a request refused with 503 or a refused connection is retried
    on the other worker."""
    servers = "\n".join(
        f"    server w{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 2"
        for i, p in enumerate(backends)
    )
    return f"""
global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response 503

frontend twilio
    bind 127.0.0.1:{port}
    http-request deny if {{ path /metrics }}
    default_backend voicebot

backend voicebot
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


@pytest.fixture
def billing() -> Iterator[str]:
    with BillingBackend() as url:
        yield url


class Cluster:
    def __init__(self, tmp: Path, billing: str, database_url: str) -> None:
        self.db = tmp / "calls.db"
        self.database_url = database_url
        self.env = {ENV_VAR: billing, "VOICEBOT_DATABASE_URL": database_url, **WORKER_ENV}
        self.ports = [free_port(), free_port()]
        self.workers: list[ServeProcess] = [self._worker(p) for p in self.ports]
        self.port = free_port()
        config = tmp / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.ports))
        assert HAPROXY is not None
        self.haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _worker(self, port: int) -> ServeProcess:
        return ServeProcess(self.db, "--drain-secs", "60", port=port, env=self.env)

    async def start(self) -> None:
        for worker in self.workers:
            await worker.started()
        await self.all_up()

    async def all_up(self) -> None:
        """Wait until HAProxy's health checks see every worker."""
        for _ in range(100):
            ok = 0
            for worker in self.workers:
                with contextlib.suppress(httpx.HTTPError):
                    ok += (await worker.get("/healthz")).status_code == 200
            if ok == len(self.workers):
                await asyncio.sleep(1.0)  # > rise 2 × inter 200ms
                return
            await asyncio.sleep(0.2)
        raise AssertionError("workers did not come up")

    async def restart(self, index: int) -> None:
        """Rolling-restart one worker: SIGTERM, wait for its drain and exit, start it again."""
        self.workers[index].signal(signal.SIGTERM)
        assert await self.workers[index].exited(timeout=120) == 0
        self.workers[index] = self._worker(self.ports[index])
        await self.workers[index].started()
        await self.all_up()

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/twilio/stream"

    def store(self) -> CallStore:
        return open_store(self.database_url, self.db)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.haproxy.terminate()
        self.haproxy.wait(timeout=10)


@pytest.fixture
async def cluster(tmp_path: Path, billing: str, postgres_server: Any) -> AsyncIterator[Cluster]:
    """Both workers on one real PostgreSQL (tests/postgres.py starts it)."""
    running = Cluster(tmp_path, billing, str(postgres_server.database()))
    try:
        await running.start()
        yield running
    finally:
        running.stop()


async def completed_calls(worker: ServeProcess) -> float:
    """The worker's own count of completed calls (its /metrics, not through HAProxy)."""
    page = (await worker.get("/metrics")).text
    return sum(
        s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
        if s.name == "voicebot_calls_total" and s.labels.get("outcome") == "completed"
    )


async def test_calls_spread_and_a_killed_workers_caller_is_queued_by_the_other(
    cluster: Cluster,
) -> None:
    results = await asyncio.gather(
        *(
            CallerSimulator(cluster.stream_url, speed=4.0).run(demo_scenario(DEMO_AUDIO))
            for _ in range(4)
        )
    )
    assert [r.error for r in results] == [None] * 4
    # The caller is done once the bot closes the stream; the worker counts the call just after.
    for _ in range(50):
        counts = [await completed_calls(w) for w in cluster.workers]
        if sum(counts) == 4:
            break
        await asyncio.sleep(0.2)
    assert counts == [2.0, 2.0]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{cluster.port}") as client:
        assert (await client.get("/metrics")).status_code == 403  # not through the balancer

    # A call mid-way when its worker is killed (SIGKILL: no drain, no end reason written).
    call = await answered_demo_call(cluster.stream_url, SPEED)
    live = [(await w.get("/healthz")).json()["live_calls"] for w in cluster.workers]
    victim = live.index(1)
    cluster.workers[victim].stop()
    result: CallResult = await asyncio.wait_for(call, 60)
    assert result.error is not None  # the caller's stream dropped
    # Twilio then asks the <Connect action> URL; HAProxy sends it to the surviving worker.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{cluster.port}") as client:
        after = await client.post(
            "/twilio/after-stream", data={"CallSid": result.call_sid, "From": "+15550100"}
        )
    assert after.status_code == 200
    assert "<Enqueue" in after.text and "<Hangup" not in after.text, after.text
    record = cluster.store().get_call(result.call_sid)
    assert record is not None
    assert any(e["kind"] == "transfer_via" and e.get("dropped") for e in record["events"])


async def test_a_rolling_restart_under_load_drops_no_call(cluster: Cluster) -> None:
    results: list[CallResult] = []
    restarting = True

    async def caller(delay: float) -> None:
        await asyncio.sleep(delay)
        while restarting:
            # A generous reply timeout: a restarting worker's model loading slows its sibling on
            # a small machine; what this test looks for is a dropped call, not a slow one.
            simulator = CallerSimulator(cluster.stream_url, speed=1.0, reply_timeout=30)
            results.append(await simulator.run(demo_scenario(DEMO_AUDIO)))

    load = [asyncio.ensure_future(caller(i * 3.0)) for i in range(3)]
    await asyncio.sleep(8)
    await cluster.restart(0)
    await cluster.restart(1)
    restarting = False
    await asyncio.wait_for(asyncio.gather(*load), 120)

    store = cluster.store()
    records = [store.get_call(r.call_sid) or {} for r in results]
    outcomes = [
        (r.error, record.get("end_reason")) for r, record in zip(results, records, strict=True)
    ]
    why = [
        [(e["kind"], e.get("reason") or e.get("stage")) for e in record.get("events", [])
         if e["kind"] in ("transfer", "backend_fault", "caller_silent")]
        for record in records
    ]  # fmt: skip
    assert len(results) >= 6
    assert outcomes == [(None, "completed")] * len(results), why
