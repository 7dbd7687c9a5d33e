"""The server side of transfers: GET /handoffs, after-stream routing (a stream that dropped
mid-call, a transfer left for after-stream), queue results and overflow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.transfer.flows import always_open_flow_yaml
from voicebot.dialogue.actions import CallStarted, DtmfDigit, Transfer
from voicebot.dialogue.engine import DialogueEngine
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.transfer.service import CallTransfers

ADMIN = "admin-token-for-tests"
CALLER = "+447700900999"


@pytest.fixture
async def server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "routed.yaml").write_text(always_open_flow_yaml())
    settings = Settings(
        flows_dir=flows, flow="routed", db_path=tmp_path / "c.db", admin_token=ADMIN
    )
    async with local_server(build_context(settings, host="127.0.0.1", speech=speech)) as running:
        yield running


def engine_transfer(call_sid: str) -> Transfer:
    """A real engine run: PIN keyed (sensitive), then 0 for an agent."""
    from tests.transfer.flows import routed_flow

    engine = DialogueEngine(routed_flow(), call_sid=call_sid)
    actions: list[Any] = engine.handle(CallStarted(call_sid, CALLER))
    for digit in "12340":
        actions = engine.handle(DtmfDigit(digit))
    [transfer] = [a for a in actions if isinstance(a, Transfer)]
    return transfer


def prepare(server: LocalServer, call_sid: str) -> str:
    ctx = server.ctx
    ctx.store.start_call(call_sid, "MZ1", "routed", CALLER)
    ctx.store.add_event(call_sid, "bot_said", text="Please key your PIN.")
    ctx.store.add_event(call_sid, "caller_keyed", digit="****")
    transfers = CallTransfers(
        flow_name="routed",
        flow=ctx.flows["routed"],
        call_sid=call_sid,
        caller=CALLER,
        store=ctx.store,
        settings=ctx.settings,
        base_url=f"http://127.0.0.1:{server.port}",
    )
    return transfers.prepare(engine_transfer(call_sid)).packet.id


async def post(server: LocalServer, path: str, form: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"http://127.0.0.1:{server.port}{path}", data=form)


async def get(server: LocalServer, path: str, token: str | None = ADMIN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{server.port}{path}", headers=headers)


async def test_handoffs_are_listed_and_read_with_the_admin_token_sensitive_slots_masked(
    server: LocalServer,
) -> None:
    handoff_id = prepare(server, "CA100")
    assert (await get(server, "/handoffs", token=None)).status_code == 401
    listed = (await get(server, "/handoffs")).json()
    assert [h["id"] for h in listed] == [handoff_id]
    one = (await get(server, f"/handoffs/{handoff_id}")).json()
    assert one["version"] == 1 and one["call_sid"] == "CA100"
    assert (one["queue"], one["reason"], one["status"]) == (
        "general", "caller_asked_for_agent", "pending",
    )  # fmt: skip
    assert one["slots"] == {"pin": "****"}
    assert one["caller"] == "*********0999"
    assert "1234" not in str(one)
    assert one["last_turns"] == [
        {"who": "bot", "text": "Please key your PIN."},
        {"who": "caller", "text": "[keypad ****]"},
    ]
    assert (await get(server, "/handoffs/nope")).status_code == 404


async def test_after_stream_answers_the_stored_transfer_twiml(server: LocalServer) -> None:
    handoff_id = prepare(server, "CA101")
    response = await post(server, "/twilio/after-stream", {"CallSid": "CA101"})
    base = f"http://127.0.0.1:{server.port}"
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Enqueue action="{base}/twilio/queue-result?queue=general">general</Enqueue></Response>'
    )
    assert (await get(server, f"/handoffs/{handoff_id}")).json()["status"] == "after_stream"


async def test_after_a_socket_drop_mid_call_the_caller_is_routed_not_hung_up(
    server: LocalServer,
) -> None:
    store = server.ctx.store
    store.start_call("CA102", "MZ2", "routed", CALLER)
    store.add_event(
        "CA102", "caller_said", transcript="check my balance", intent="check_balance",
        node="menu", next_node="ask_pin", slots={},
    )  # fmt: skip
    store.end_call("CA102", "stream_dropped")
    response = await post(server, "/twilio/after-stream", {"CallSid": "CA102"})
    assert 'workflowSid="WW0123456789abcdef0123456789abcdef"' in response.text
    assert '"intent":"check_balance"' in response.text
    record = (await get(server, "/calls/CA102")).json()
    [handoff] = [e for e in record["events"] if e["kind"] == "handoff"]
    assert (handoff["queue"], handoff["reason"]) == ("billing", "stream_dropped")


async def test_a_call_that_ended_normally_is_hung_up(server: LocalServer) -> None:
    server.ctx.store.start_call("CA103", "MZ3", "routed", CALLER)
    server.ctx.store.end_call("CA103", "caller_said_goodbye")
    response = await post(server, "/twilio/after-stream", {"CallSid": "CA103"})
    assert response.text.endswith("<Response><Hangup /></Response>")


async def test_a_full_queue_overflows_and_a_callback_recording_is_recorded(
    server: LocalServer,
) -> None:
    prepare(server, "CA104")
    full = await post(
        server,
        "/twilio/queue-result?queue=general",
        {"CallSid": "CA104", "QueueResult": "queue-full"},
    )
    assert 'workflowSid="WW0123456789abcdef0123456789abcdef"' in full.text
    assert '"queue":"billing"' in full.text
    left = await post(
        server, "/twilio/queue-result?queue=billing", {"CallSid": "CA104", "QueueResult": "hangup"}
    )
    assert left.text.endswith("<Response><Hangup /></Response>")
    await post(
        server,
        "/twilio/queue-result?queue=billing&callback=1",
        {"CallSid": "CA104", "RecordingUrl": "https://api.twilio.com/rec/RE1"},
    )
    kinds = [e["kind"] for e in (await get(server, "/calls/CA104")).json()["events"]]
    assert kinds[-4:] == ["queue_result", "overflow", "queue_result", "callback_requested"]


async def test_a_dropped_vip_caller_is_routed_as_a_vip_from_twilios_from(
    server: LocalServer,
) -> None:
    server.ctx.store.start_call("CA105", "MZ5", "routed", "+447700900123")
    server.ctx.store.end_call("CA105", "stream_dropped")
    response = await post(
        server, "/twilio/after-stream", {"CallSid": "CA105", "From": "+447700900123"}
    )
    assert ">vip</Enqueue>" in response.text
    handoff = server.ctx.store.call_handoff("CA105")
    assert handoff is not None and handoff["packet"]["vip"] is True
