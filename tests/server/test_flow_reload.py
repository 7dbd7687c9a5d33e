"""Hot reload: a valid flow edit reaches new calls; a broken one is logged and changes nothing."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from loguru import logger

from tests.conftest import FLOWS_DIR
from tests.e2e.conftest import audio, wait_for_end
from voicebot.dialogue.engine import DialogueEngine
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import HangUp, Scenario, Speak

OLD_GREETING = "Thanks for calling Acme Energy. You can say"
NEW_GREETING = "Hello from the edited flow. You can say"


@pytest.fixture
async def server(tmp_path: Path, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(FLOWS_DIR / "acme_support.yaml", flows)
    for included in ("shared", "knowledge"):  # what the flow includes
        shutil.copytree(FLOWS_DIR / included, flows / included)
    settings = Settings(flows_dir=flows, db_path=tmp_path / "calls.db")
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    async with local_server(ctx, watch_flows=True) as running:
        await asyncio.sleep(0.3)  # let the watcher start
        yield running


def edit(server: LocalServer, old: str, new: str) -> None:
    path = Path(server.ctx.settings.flows_dir) / "acme_support.yaml"
    path.write_text(path.read_text().replace(old, new))


async def greeting_after(server: LocalServer, secs: float) -> str | None:
    for _ in range(int(secs / 0.05)):
        say = server.ctx.flows["acme_support"].nodes["greet"].say
        if say and NEW_GREETING in say:
            return say
        await asyncio.sleep(0.05)
    return server.ctx.flows["acme_support"].nodes["greet"].say


async def test_a_valid_edit_reaches_new_calls_and_spares_running_ones(server: LocalServer) -> None:
    running = DialogueEngine(server.ctx.flows["acme_support"])  # a call that started before
    edit(server, OLD_GREETING, NEW_GREETING)
    assert NEW_GREETING in (await greeting_after(server, 5.0) or "")
    assert OLD_GREETING in (running.flow.nodes["greet"].say or "")

    result = await CallerSimulator(server.stream_url, speed=4.0).run(
        Scenario("after_edit", (Speak(audio("check_my_balance")), HangUp()))
    )
    record = await wait_for_end(server, result.call_sid)
    first_words = next(e for e in record["events"] if e["kind"] == "bot_said")
    assert first_words["text"].startswith(NEW_GREETING)


async def test_a_broken_edit_is_logged_and_the_previous_version_serves_on(
    server: LocalServer,
) -> None:
    errors: list[str] = []
    sink = logger.add(lambda message: errors.append(str(message)), level="ERROR")
    try:
        before = server.ctx.flows
        edit(server, "    next: collect_pin\n", "    next: [unclosed\n")
        for _ in range(100):
            if errors:
                break
            await asyncio.sleep(0.05)
    finally:
        logger.remove(sink)
    assert server.ctx.flows is before
    assert any("flow edit rejected" in e and "acme_support.yaml:" in e for e in errors), errors
