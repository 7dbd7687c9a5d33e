"""Any worker serves any call's webhooks: after-stream and queue-result route a call by the
flow version it started on, read from the store, whichever process asks and whatever flows
it has loaded since. Real servers on loopback over a real websocket, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml

from tests.transfer.flows import always_open_flow_yaml
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.server.flow_watcher import reload_flows
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server


def flow_yaml(general_queue: str, overflow: str) -> str:
    data = yaml.safe_load(always_open_flow_yaml())
    data["queues"]["general"]["twilio"] = {"enqueue": general_queue}
    data["queues"]["general"]["overflow"] = overflow
    return yaml.safe_dump(data, sort_keys=False)


V1 = flow_yaml("general", overflow="billing")
V2 = flow_yaml("general_after_reload", overflow="vip")


class Stream:
    """One call's media stream, opened as Twilio does (`connected`, `start`), then dropped."""

    def __init__(self, server: LocalServer, call_sid: str) -> None:
        self.server = server
        self.call_sid = call_sid
        self.ws: Any = None

    async def open(self) -> None:
        self.ws = await websockets.connect(self.server.stream_url)
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call"}))
        start = {
            "streamSid": "MZ" + uuid.uuid4().hex,
            "callSid": self.call_sid,
            "accountSid": "AC" + uuid.uuid4().hex,
            "tracks": ["inbound"],
            "customParameters": {"caller": "+15005550006"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await self.ws.send(json.dumps({"event": "start", "streamSid": start["streamSid"],
                                       "start": start}))  # fmt: skip
        await until(lambda: self.server.ctx.store.get_call(self.call_sid) is not None)

    async def drop(self) -> None:
        """Close without Twilio's `stop`, as when the network drops."""
        await self.ws.close()
        store = self.server.ctx.store
        await until(lambda: (store.get_call(self.call_sid) or {}).get("end_reason") is not None)


async def until(check: Any, secs: float = 10.0) -> None:
    for _ in range(int(secs / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


async def post(server: LocalServer, path: str, form: dict[str, str]) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{server.port}{path}", data=form)
    assert response.status_code == 200
    return response.text.replace(f"127.0.0.1:{server.port}", "HOST")


def settings_for(tmp_path: Path, database_url: str | None) -> Settings:
    flows = tmp_path / "flows"
    if not flows.exists():
        flows.mkdir()
        (flows / "routed.yaml").write_text(V1)
    return Settings(
        flows_dir=flows, flow="routed", db_path=tmp_path / "calls.db", database_url=database_url
    )


def reload(server: LocalServer, source: str) -> None:
    settings = server.ctx.settings
    (Path(settings.flows_dir) / "routed.yaml").write_text(source)
    server.ctx.flows = reload_flows(Path(settings.flows_dir), server.ctx.flows, settings.flow)


def enqueue(queue: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Enqueue action="http://HOST/twilio/queue-result?queue=general">{queue}</Enqueue>'
        "</Response>"
    )


@pytest.fixture
async def server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    ctx = build_context(settings_for(tmp_path, None), host="127.0.0.1", speech=speech)
    async with local_server(ctx, billing_backend=False) as running:
        yield running


async def test_a_call_dropped_after_a_reload_is_routed_by_the_version_it_started_on(
    server: LocalServer,
) -> None:
    old = Stream(server, "CAold")
    await old.open()
    reload(server, V2)  # general's queue and overflow change while the call runs
    await old.drop()
    assert await post(server, "/twilio/after-stream", {"CallSid": "CAold"}) == enqueue("general")

    new = Stream(server, "CAnew")  # a call that starts after the reload gets the new version
    await new.open()
    await new.drop()
    assert await post(server, "/twilio/after-stream", {"CallSid": "CAnew"}) == enqueue(
        "general_after_reload"
    )
    # Nobody answered: the overflow is the old version's for the old call, the new one's else.
    full = {"QueueResult": "queue-full"}
    old_overflow = await post(server, "/twilio/queue-result?queue=general", {"CallSid": "CAold"}
                              | full)  # fmt: skip
    new_overflow = await post(server, "/twilio/queue-result?queue=general", {"CallSid": "CAnew"}
                              | full)  # fmt: skip
    assert 'workflowSid="WW0123456789abcdef0123456789abcdef"' in old_overflow  # billing
    assert ">vip</Enqueue>" in new_overflow
    old_record, new_record = (server.ctx.store.get_call(sid) for sid in ("CAold", "CAnew"))
    assert old_record and new_record and old_record["flow_version"] != new_record["flow_version"]


async def test_a_call_dropped_on_worker_a_is_recovered_by_worker_b_as_a_would_have(
    tmp_path: Path, speech: EmbeddedSpeechStack, database_url: str
) -> None:
    """Two app instances on one store. B starts after the flow changed, so it never loaded
    the version A's call runs on: it must rebuild it from the store."""
    async with AsyncExitStack() as stack:
        settings = settings_for(tmp_path, database_url)
        a = await stack.enter_async_context(
            local_server(build_context(settings, host="127.0.0.1", speech=speech),
                         billing_backend=False)
        )  # fmt: skip
        on_a, twin = Stream(a, "CAonA"), Stream(a, "CAtwin")
        await on_a.open()
        await twin.open()
        (Path(settings.flows_dir) / "routed.yaml").write_text(V2)
        b = await stack.enter_async_context(
            local_server(build_context(settings, host="127.0.0.1", speech=speech),
                         billing_backend=False)
        )  # fmt: skip
        twilio = b.ctx.flows["routed"].queues["general"].twilio
        assert twilio is not None and twilio.enqueue == "general_after_reload"
        await on_a.drop()
        await twin.drop()

        by_b = await post(b, "/twilio/after-stream", {"CallSid": "CAonA"})
        by_a = await post(a, "/twilio/after-stream", {"CallSid": "CAtwin"})
        assert by_b == by_a == enqueue("general")
        full = {"QueueResult": "queue-full"}
        overflow_b = await post(b, "/twilio/queue-result?queue=general", {"CallSid": "CAonA"}
                                | full)  # fmt: skip
        overflow_a = await post(a, "/twilio/queue-result?queue=general", {"CallSid": "CAtwin"}
                                | full)  # fmt: skip
        assert overflow_b.replace("CAonA", "CAtwin") == _same_handoff(overflow_a, overflow_b)
        assert 'workflowSid="WW0123456789abcdef0123456789abcdef"' in overflow_b
        # Both workers wrote one record each call, events in the database's order.
        record = a.ctx.store.get_call("CAonA")
        assert record is not None and record["worker_id"] == a.ctx.store.worker_id
        kinds = [e["kind"] for e in record["events"]]
        assert kinds[-3:] == ["transfer_via", "queue_result", "overflow"]
        assert [e["seq"] for e in record["events"]] == list(range(1, len(kinds) + 1))


def _same_handoff(twiml_a: str, twiml_b: str) -> str:
    """`twiml_a` with its handoff id replaced by `twiml_b`'s (each call has its own)."""
    ids_a = _handoff_ids(twiml_a)
    ids_b = _handoff_ids(twiml_b)
    assert len(ids_a) == len(ids_b) == 1
    return twiml_a.replace(ids_a[0], ids_b[0])


def _handoff_ids(twiml: str) -> list[str]:
    import re

    return sorted(set(re.findall(r'"handoff_id":\s*"([^"]+)"', twiml)))
