"""The HTTP side of the server: webhooks, signatures, call records, start-up refusals."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app as cli
from voicebot.exceptions import ConfigError, FlowError
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.twilio import signature

TOKEN = "twilio-auth-token-for-tests"
ADMIN = "admin-token-for-tests"


@pytest.fixture
async def signed_server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    settings = Settings(
        flows_dir=FLOWS_DIR, db_path=tmp_path / "c.db", twilio_auth_token=TOKEN, admin_token=ADMIN
    )
    async with local_server(build_context(settings, host="127.0.0.1", speech=speech)) as server:
        yield server


async def test_voice_webhook_requires_a_valid_signature(signed_server: LocalServer) -> None:
    url = f"http://127.0.0.1:{signed_server.port}/twilio/voice"
    form = {"CallSid": "CA1", "From": "+441234567890", "To": "+441110000000"}
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(url, data=form)
        forged = await client.post(url, data=form, headers={signature.HEADER: "Zm9yZ2Vk"})
        signed = await client.post(
            url, data=form, headers={signature.HEADER: signature.sign(TOKEN, url, form)}
        )
    assert unsigned.status_code == 403
    assert forged.status_code == 403
    assert signed.status_code == 200
    assert signed.headers["content-type"].startswith("application/xml")
    base = f"127.0.0.1:{signed_server.port}"
    assert signed.text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Connect action="http://{base}/twilio/after-stream">'
        f'<Stream url="ws://{base}/twilio/stream">'
        '<Parameter name="caller" value="+441234567890" />'
        '<Parameter name="called" value="+441110000000" /></Stream></Connect>'
        "<Hangup /></Response>"
    )


async def test_after_a_stream_that_never_started_the_caller_goes_to_a_person(
    signed_server: LocalServer,
) -> None:
    # Twilio connected the call but its stream never delivered a usable `start`: the caller
    # heard nothing, so hanging up on them would be the worst answer.
    url = f"http://127.0.0.1:{signed_server.port}/twilio/after-stream"
    form = {"CallSid": "CA1", "CallStatus": "in-progress", "From": "+441234567890"}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            url, data=form, headers={signature.HEADER: signature.sign(TOKEN, url, form)}
        )
    assert response.status_code == 200
    assert "<Enqueue" in response.text and "general" in response.text
    record = signed_server.ctx.store.get_call("CA1")
    assert record is not None and record["end_reason"] == "stream_dropped"
    assert [e["kind"] for e in record["events"]][:1] == ["stream_never_started"]


async def test_forged_stream_handshake_is_refused_with_403(signed_server: LocalServer) -> None:
    for headers in (
        {},
        {signature.HEADER: signature.sign("wrong-token", signed_server.stream_url)},
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(signed_server.stream_url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
    # Nothing was started: no call record exists.
    assert signed_server.ctx.store.list_calls() == []


async def test_signed_stream_handshake_is_accepted(signed_server: LocalServer) -> None:
    headers = {signature.HEADER: signature.sign(TOKEN, signed_server.stream_url)}
    start = {
        "event": "start",
        "streamSid": "MZsigned",
        "start": {
            "streamSid": "MZsigned",
            "callSid": "CAsigned",
            "tracks": ["inbound"],
            "customParameters": {},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }
    async with websockets.connect(signed_server.stream_url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps(start))
        # The call runs: the bot's greeting comes back as media on this stream.
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        assert (first["event"], first["streamSid"]) == ("media", "MZsigned")
        # 100 ms of 8 kHz μ-law per media message (stream.OUTBOUND_10MS_CHUNKS), not 40 ms.
        following = [json.loads(await asyncio.wait_for(ws.recv(), timeout=5)) for _ in range(2)]
        for media in (first, *following):
            assert len(base64.b64decode(media["media"]["payload"])) == 800
        await ws.send(json.dumps({"event": "stop", "streamSid": "MZsigned", "stop": {}}))
    record = signed_server.ctx.store.get_call("CAsigned")
    assert record is not None and record["flow"] == "acme_support"


async def test_call_records_need_the_admin_token(signed_server: LocalServer) -> None:
    signed_server.ctx.store.start_call("CA42", "MZ42", "acme_support", None)
    url = f"http://127.0.0.1:{signed_server.port}/calls/CA42"
    async with httpx.AsyncClient() as client:
        anonymous = await client.get(url)
        wrong = await client.get(url, headers={"Authorization": "Bearer nope"})
        admin = await client.get(url, headers={"Authorization": f"Bearer {ADMIN}"})
        missing = await client.get(
            url.replace("CA42", "CA43"), headers={"Authorization": f"Bearer {ADMIN}"}
        )
        health = await client.get(f"http://127.0.0.1:{signed_server.port}/healthz")
    assert (anonymous.status_code, wrong.status_code, missing.status_code) == (401, 401, 404)
    assert admin.json()["call_sid"] == "CA42"
    assert health.json() == {
        "status": "ok",
        "flows": ["acme_support", "card_services"],
        "live_calls": 0,
    }


def test_unsigned_requests_only_on_loopback_or_insecure_dev(tmp_path: Path) -> None:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "c.db")
    with pytest.raises(ConfigError, match="refusing to serve unsigned requests on 0.0.0.0"):
        build_context(settings, host="0.0.0.0")


def test_admin_routes_are_never_served_off_loopback_without_a_token(tmp_path: Path) -> None:
    # Only the Twilio token set: /calls and /handoffs would answer anyone on 0.0.0.0.
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "c.db", twilio_auth_token=TOKEN)
    with pytest.raises(ConfigError, match="VOICEBOT_ADMIN_TOKEN is not set") as refused:
        build_context(settings, host="0.0.0.0")
    assert "refusing to serve them on 0.0.0.0" in str(refused.value)
    # With the token, on loopback, or explicitly insecure, it starts.
    admin = settings.model_copy(update={"admin_token": ADMIN})
    assert build_context(admin, host="0.0.0.0").settings.admin_token == ADMIN
    assert build_context(settings, host="127.0.0.1").settings.admin_token is None
    assert build_context(settings, host="0.0.0.0", insecure_dev=True).require_signature


def test_serve_refuses_with_one_line_when_admin_routes_would_be_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.delenv("VOICEBOT_ADMIN_TOKEN", raising=False)
    result = CliRunner().invoke(
        cli,
        ["serve", "--host", "0.0.0.0", "--flows-dir", str(FLOWS_DIR), "--db", str(tmp_path / "c")],
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "VOICEBOT_ADMIN_TOKEN is not set" in lines[0], result.output
    assert "Traceback" not in result.output


def test_a_broken_flow_stops_the_server_from_starting(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "broken.yaml").write_text("flow: broken\nnodes:\n  greet: [unclosed\n")
    with pytest.raises(FlowError) as caught:
        build_context(Settings(flows_dir=flows, db_path=tmp_path / "c.db"), host="127.0.0.1")
    assert str(flows / "broken.yaml") + ":" in caught.value.problems[0]

    result = CliRunner().invoke(cli, ["serve", "--flows-dir", str(flows)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {flows / 'broken.yaml'}:")
    assert "Traceback" not in result.output
