"""The call bench the transfer tests share: the real server on loopback with Twilio
credentials pointing at a fake Twilio REST API, also on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FLOWS_DIR
from tests.e2e.conftest import SPEED, wait_for_end
from tests.transfer.fake_twilio import FakeTwilio, fake_twilio
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.tools.simulator.caller import CallerSimulator, CallResult
from voicebot.tools.simulator.scenario import Scenario
from voicebot.transfer import service

ACCOUNT = "AC" + "a" * 32
TOKEN = "twilio-token-for-tests"
# A Monday at noon in London: every Acme queue is open.
OPEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Bench:
    server: LocalServer
    twilio: FakeTwilio

    async def call(self, scenario: Scenario) -> tuple[CallResult, dict[str, Any]]:
        simulator = CallerSimulator(self.server.stream_url, speed=SPEED, auth_token=TOKEN)
        result = await simulator.run(scenario)
        return result, await wait_for_end(self.server, result.call_sid)

    def handoff(self, call_sid: str) -> dict[str, Any]:
        handoff = self.server.ctx.store.call_handoff(call_sid)
        assert handoff is not None, f"no handoff for {call_sid}"
        return handoff

    async def after_stream(self, call_sid: str) -> str:
        # Unsigned is refused when a token is set: sign as Twilio would.
        from voicebot.twilio import signature

        url = f"http://127.0.0.1:{self.server.port}/twilio/after-stream"
        form = {"CallSid": call_sid, "CallStatus": "in-progress"}
        headers = {signature.HEADER: signature.sign(TOKEN, url, form)}
        async with httpx.AsyncClient() as client:
            response = await client.post(url, data=form, headers=headers)
        assert response.status_code == 200
        return response.text


@pytest.fixture
def open_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "utc_now", lambda: OPEN)


def twilio_settings(tmp_path: Path, twilio_url: str) -> Settings:
    """The shipped flows, with Twilio credentials pointing at the fake REST server."""
    return Settings(
        flows_dir=FLOWS_DIR,
        db_path=tmp_path / "calls.db",
        twilio_auth_token=TOKEN,
        twilio_account_sid=ACCOUNT,
        twilio_api_base_url=twilio_url,
    )


@pytest.fixture
async def bench(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[Bench]:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        settings = twilio_settings(tmp_path, twilio.base_url)
        ctx = build_context(settings, host="127.0.0.1", speech=speech)
        async with local_server(ctx) as server:
            yield Bench(server, twilio)


@pytest.fixture
async def offline(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    """No Twilio credentials: transfers are recorded and left to /twilio/after-stream."""
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db")
    async with local_server(build_context(settings, host="127.0.0.1", speech=speech)) as server:
        yield server
