"""End-to-end calls: the real app on a loopback port, driven by the caller simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_AUDIO, FLOWS_DIR
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.tools.simulator.caller import CallerSimulator, CallResult
from voicebot.tools.simulator.scenario import Scenario

# Fast enough for CI, slow enough that the caller's clock stays ahead of the bot's 2x playout.
SPEED = 4.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db")


@pytest.fixture
async def server(settings: Settings, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    async with local_server(ctx) as running:
        yield running


def audio(name: str) -> Path:
    return DEMO_AUDIO / f"{name}.wav"


CallRunner = Callable[..., Any]


@pytest.fixture
def call(server: LocalServer) -> CallRunner:
    """Run a scenario; return the simulator's result and the server's call record."""

    async def run(scenario: Scenario, **sim_args: Any) -> tuple[CallResult, dict[str, Any]]:
        simulator = CallerSimulator(server.stream_url, speed=SPEED, **sim_args)
        result = await simulator.run(scenario)
        record = await wait_for_end(server, result.call_sid)
        return result, record

    return run


async def wait_for_end(server: LocalServer, call_sid: str) -> dict[str, Any]:
    return await server.ended_call(call_sid)


def events(record: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in record["events"] if e["kind"] == kind]


def node_path(record: dict[str, Any]) -> list[str]:
    path: list[str] = []
    for event in record["events"]:
        if event["kind"] in ("caller_said", "caller_keyed", "caller_silent"):
            for node in (event["node"], event["next_node"]):
                if not path or path[-1] != node:
                    path.append(node)
    return path
