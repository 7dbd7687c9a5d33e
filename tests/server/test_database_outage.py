"""The PostgreSQL server stops mid-call: the call goes on and still transfers (REST, to a fake
Twilio on loopback); the record's events wait in order and are written when it returns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import DEMO_AUDIO, FLOWS_DIR
from tests.postgres import PostgresServer, start_postgres
from tests.transfer.fake_twilio import fake_twilio
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.storage import open_store
from voicebot.tools.demo import local_server
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import Scenario, Silence, Speak
from voicebot.transfer import service

pytestmark = pytest.mark.e2e

ACCOUNT = "AC" + "b" * 32
TOKEN = "twilio-token-for-outage-tests"


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: stopping it must not disturb the session's."""
    server = start_postgres()
    yield server
    server.destroy()


async def test_the_call_goes_on_and_transfers_while_the_database_is_down(
    tmp_path: Path,
    speech: EmbeddedSpeechStack,
    own_postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "utc_now", lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    url = own_postgres.database()
    async with fake_twilio(ACCOUNT, TOKEN) as twilio:
        settings = Settings(
            flows_dir=FLOWS_DIR, db_path=tmp_path / "unused.db", database_url=url,
            twilio_auth_token=TOKEN, twilio_account_sid=ACCOUNT,
            twilio_api_base_url=twilio.base_url,
        )  # fmt: skip
        ctx = build_context(settings, host="127.0.0.1", speech=speech)
        async with local_server(ctx) as server:
            scenario = Scenario(
                "outage",
                (Silence(4.0), Speak(DEMO_AUDIO / "agent.wav")),
            )  # fmt: skip
            simulator = CallerSimulator(server.stream_url, speed=4.0, auth_token=TOKEN)
            call = asyncio.create_task(simulator.run(scenario))
            watcher = open_store(url, "unused.db")
            while not watcher.open_calls():  # the call started with the database up
                await asyncio.sleep(0.02)
            watcher.close()
            await asyncio.to_thread(own_postgres.stop)

            result = await call
            assert result.error is None and result.ended_by == "bot"
            [request] = twilio.requests  # the live call was moved to the agents' queue
            assert ">general</Enqueue>" in request.form["Twiml"]
            assert server.ctx.store.pending_writes > 0

            await asyncio.to_thread(own_postgres.start)
            assert await asyncio.to_thread(server.ctx.store.flush, 15.0)
            assert server.ctx.store.pending_writes == 0

    record = open_store(url, "unused.db").get_call(result.call_sid)
    assert record is not None
    assert record["end_reason"] == "transferred"
    kinds = [e["kind"] for e in record["events"]]
    [said] = [e for e in record["events"] if e["kind"] == "caller_said"]
    assert said["intent"] == "agent"
    assert kinds.index("handoff") < kinds.index("transfer_via")
    [via] = [e for e in record["events"] if e["kind"] == "transfer_via"]
    assert (via["method"], via["ok"]) == ("rest", True)
    assert [e["seq"] for e in record["events"]] == list(range(1, len(kinds) + 1))
    ats = [e["at"] for e in record["events"]]
    assert ats == sorted(ats)  # written late, in the order they happened
