"""No sensitive value a caller gives (account number, PIN) appears in clear anywhere voicebot
writes or serves it: the store, /calls, /handoffs, recorded fixtures, log messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from loguru import logger

from tests.conftest import FLOWS_DIR
from tests.e2e.conftest import SPEED, audio, events, wait_for_end
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import local_server
from voicebot.tools.replay.recorder import FixtureRecorder
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import Keys, Scenario, Speak

pytestmark = pytest.mark.e2e

ADMIN = "admin-token-for-privacy"
ACCOUNT = "12345678"  # keyed: the demo billing system knows it
PIN = "0864"  # keyed values are compared as text: no frame counter starts with 0


async def test_no_sensitive_value_in_clear_in_store_endpoints_handoff_or_capture(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db", admin_token=ADMIN)
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    ctx.fixture_recorder = FixtureRecorder(tmp_path / "captured")
    messages: list[str] = []
    # What `serve` logs (voicebot.logs): voicebot's lines, and pipecat's warnings.
    sink = logger.add(
        lambda message: messages.append(message.record["message"]),
        level="INFO",
        filter=lambda r: str(r["name"]).startswith("voicebot") or r["level"].no >= 30,
    )
    scenario = Scenario(
        "keyed_account_then_agent",
        (
            Speak(audio("check_my_balance")),
            Keys(ACCOUNT),
            Speak(audio("yes")),
            Keys(PIN + "#"),
            Speak(audio("agent")),  # a handoff packet is made with what was learned
        ),
    )
    try:
        async with local_server(ctx) as server:
            result = await CallerSimulator(server.stream_url, speed=SPEED).run(scenario)
            record = await wait_for_end(server, result.call_sid)
            headers = {"Authorization": f"Bearer {ADMIN}"}
            base = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(headers=headers) as client:
                call = (await client.get(f"{base}/calls/{result.call_sid}")).text
                handoffs = await client.get(f"{base}/handoffs")
                listed = handoffs.text
                one = (await client.get(f"{base}/handoffs/{handoffs.json()[0]['id']}")).text
    finally:
        logger.remove(sink)

    # The call did what it should: both values were used (the billing lookup ran).
    assert record["end_reason"] == "transferred", record["end_reason"]
    (lookup,) = events(record, "webhook")
    assert lookup["ok"] is True
    slots = {s["slot"]: s["value"] for s in events(record, "slot_set")}
    assert slots["account_number"] == "****" and slots["pin"] == "****"

    db = sqlite3.connect(settings.db_path)
    stored = [
        list(row)
        for table in ("calls", "events", "handoffs")
        for row in db.execute(f"SELECT * FROM {table}")
    ]
    db.close()
    captured = tmp_path / "captured"
    frames = [
        json.loads(line) for p in captured.glob("*.jsonl") for line in p.read_text().splitlines()
    ]
    places = {
        "store": texts(stored),
        "/calls": texts(json.loads(call)),
        "/handoffs": texts(json.loads(listed)),
        "/handoffs/{id}": texts(json.loads(one)),
        "capture frames": texts(frames),
        "capture scenarios": [p.read_text() for p in captured.glob("*.yaml")],
        "log messages": messages,
    }
    keyed = "".join(
        f["dtmf"]["digit"] for f in map(json.loads, texts_of_frames(frames)) if "dtmf" in f
    )
    assert ACCOUNT not in keyed and PIN not in keyed, keyed
    for value in (ACCOUNT, PIN, " ".join(ACCOUNT), "1 2 3 4, 5 6 7 8"):
        leaks = [where for where, found in places.items() if any(value in text for text in found)]
        assert not leaks, f"{value!r} in clear in {leaks}"
    assert "****" in one  # the handoff still says the slots were filled


def texts(value: object) -> list[str]:
    """Every string in `value` (JSON in strings opened up), except audio payloads and the
    frame counters Twilio numbers as strings: those are not what a caller gave."""
    found: list[str] = []
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return [value]
        return texts(inner) if isinstance(inner, dict | list) else [value]
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("payload", "sequenceNumber", "chunk", "timestamp"):
                found += texts(item)
    elif isinstance(value, list):
        for item in value:
            found += texts(item)
    return found


def texts_of_frames(lines: list[dict[str, object]]) -> list[str]:
    return [str(line["frame"]) for line in lines if "frame" in line]
