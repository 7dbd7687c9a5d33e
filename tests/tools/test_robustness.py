"""The robustness campaign, bounded (`bench/robustness.py` runs it in full and prints counts):
mutated frames over signed calls lose no call, hostile YAML is refused alone and in a running
server, and a long chain of say nodes loads."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FLOWS_DIR
from voicebot.flows.loader import load_flows
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools import robustness
from voicebot.tools.demo import LocalServer, local_server

pytestmark = pytest.mark.e2e

TOKEN = "robustness-test-token"


@pytest.fixture
async def server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(FLOWS_DIR / "acme_support.yaml", flows)
    for included in ("shared", "knowledge"):
        shutil.copytree(FLOWS_DIR / included, flows / included)
    settings = Settings(
        flows_dir=flows, db_path=tmp_path / "calls.db", twilio_auth_token=TOKEN, admin_token="a"
    )
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    async with local_server(ctx, watch_flows=True) as running:
        await asyncio.sleep(0.3)
        yield running


async def test_mutated_frames_over_signed_calls_lose_no_call(server: LocalServer) -> None:
    counts = await robustness.fuzz_calls(server, TOKEN, calls=2, frames_per_call=400)
    assert counts.calls == 2 and counts.frames >= 800
    assert (counts.lost, counts.tracebacks) == (0, 0)
    assert counts.bad_frames > 400  # most mutations break the frame; each one is counted


async def test_hostile_yaml_dropped_into_a_running_server_changes_nothing(
    server: LocalServer,
) -> None:
    names = ["alias_bomb", "nested_1000_flow", "fanned_out_includes", "include_cycle", "binary"]
    results = await robustness.drop_into_server(server, names)
    assert [(r.name, r.rejected, r.still_serving) for r in results] == [
        (name, True, True) for name in names
    ]


def test_every_hostile_flow_is_refused_with_its_code(tmp_path: Path) -> None:
    results = robustness.hostile_yaml_results(tmp_path, isolated=False)
    assert [r.name for r in results if not r.refused_as_expected] == []


def test_a_4000_node_chain_of_say_nodes_loads(tmp_path: Path) -> None:
    # The campaign's 0.9 MB flow: its say-loop check once recursed past Python's limit.
    (tmp_path / "big.yaml").write_text(robustness.big_valid_flow())
    assert len(load_flows(tmp_path)["big"].nodes) == 4000
