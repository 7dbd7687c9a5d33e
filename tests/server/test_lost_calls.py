"""Calls left open by a worker that died are closed with `end_reason: server_lost`: a real
`voicebot serve` is SIGKILLed mid-call and the next one started on the store closes the call
at once; a worker on another host is known dead by its stale heartbeat."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.conftest import REPO
from tests.transfer.flows import always_open_flow_yaml
from voicebot.storage import open_store
from voicebot.storage.workers import recover_lost_calls
from voicebot.tools.demo import free_port


class Serve:
    """`voicebot serve` in its own process, on a free loopback port."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        flows = tmp_path / "flows"
        if not flows.exists():
            flows.mkdir()
            (flows / "routed.yaml").write_text(always_open_flow_yaml())
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
        env |= {
            "PYTHONPATH": str(REPO),
            "VOICEBOT_DATABASE_URL": database_url,
            "VOICEBOT_FLOWS_DIR": str(flows),
            "VOICEBOT_FLOW": "routed",
        }
        self.log = (tmp_path / f"serve-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicebot", "serve", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip

    async def ready(self) -> None:
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, Path(self.log.name).read_text()
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).is_success:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"serve did not start: {Path(self.log.name).read_text()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


async def open_call(port: int, call_sid: str) -> Any:
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/twilio/stream")
    await ws.send(json.dumps({"event": "connected", "protocol": "Call"}))
    stream_sid = "MZ" + uuid.uuid4().hex
    start = {
        "streamSid": stream_sid, "callSid": call_sid, "accountSid": "AC" + uuid.uuid4().hex,
        "tracks": ["inbound"], "customParameters": {"caller": "+15005550006"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }  # fmt: skip
    await ws.send(json.dumps({"event": "start", "streamSid": stream_sid, "start": start}))
    return ws


async def test_a_call_on_a_killed_server_is_closed_as_server_lost_on_restart(
    tmp_path: Path, database_url: str
) -> None:
    store = open_store(database_url, "unused.db")
    first = Serve(tmp_path, database_url)
    second: Serve | None = None
    try:
        await first.ready()
        ws = await open_call(first.port, "CAkilled")
        for _ in range(200):
            record = store.get_call("CAkilled")
            if record and any(e["kind"] == "bot_said" for e in record["events"]):
                break
            await asyncio.sleep(0.05)
        first.kill()  # mid-call: no teardown runs, no end reason is written
        await ws.close()
        record = store.get_call("CAkilled")
        assert record is not None and record["end_reason"] is None
        assert [c["call_sid"] for c in store.open_calls()] == ["CAkilled"]

        second = Serve(tmp_path, database_url)
        await second.ready()
        record = store.get_call("CAkilled")
        assert record is not None
        assert record["end_reason"] == "server_lost"
        assert record["events"][-1]["kind"] == "server_lost"
        assert record["events"][-1]["worker"] == record["worker_id"]
        assert store.open_calls() == []
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_worker_elsewhere_is_dead_when_its_heartbeat_goes_stale(database_url: str) -> None:
    there = open_store(database_url, "unused.db")
    there.start_worker("host-that-died", 4242)
    there.start_call("CAthere", "MZ1", "routed", None)
    time.sleep(0.6)
    here = open_store(database_url, "unused.db")
    here.start_worker("this-host", os.getpid())
    here.start_call("CAhere", "MZ2", "routed", None)
    assert recover_lost_calls(here, host="this-host", stale_after=30) == []  # not yet stale
    assert recover_lost_calls(here, host="this-host", stale_after=0.5) == ["CAthere"]
    assert here.get_call("CAthere")["end_reason"] == "server_lost"  # type: ignore[index]
    assert here.get_call("CAhere")["end_reason"] is None  # type: ignore[index]


def test_a_stopped_worker_leaves_no_call_open_and_a_dead_pid_here_is_found_at_once(
    database_url: str,
) -> None:
    store = open_store(database_url, "unused.db")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.start_worker("this-host", dead.pid, 1)  # that process is gone
    store.start_call("CAdeadpid", "MZ1", "routed", None)
    alive = open_store(database_url, "unused.db")
    alive.start_worker("this-host", os.getpid(), None)  # this test's process: alive
    alive.start_call("CAalive", "MZ2", "routed", None)
    checker = open_store(database_url, "unused.db")
    assert recover_lost_calls(checker, host="this-host", stale_after=300) == ["CAdeadpid"]
    alive.stop_worker()
    assert recover_lost_calls(checker, host="this-host", stale_after=300) == ["CAalive"]
