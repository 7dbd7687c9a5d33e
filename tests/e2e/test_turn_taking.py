"""Turn-taking in whole calls: words that must be heard whole (`interruptible: false`) are
not cut off by the caller, whose words are still acted on once they have played."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CallRunner, audio, events
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools.demo import LocalServer, local_server
from voicebot.tools.simulator.scenario import BargeIn, Scenario

pytestmark = pytest.mark.e2e

NOTICE = (
    "This call is recorded for training and quality purposes. Your details are held under"
    " our privacy policy, which you can read on our website at any time."
)


def recorded_line(interruptible: bool) -> str:
    return f"""\
flow: recorded_line
start: notice
intents:
  check_balance:
    examples: ["check my balance"]
nodes:
  notice:
    say: "{NOTICE}"
    interruptible: {str(interruptible).lower()}
    next: menu
  menu:
    say: "You can say check my balance, or agent."
    on:
      check_balance: done
  done:
    say: "Goodbye."
    hangup: true
"""


@pytest.fixture(params=[True, False], ids=["interruptible", "not_interruptible"])
def interruptible(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings(tmp_path: Path, interruptible: bool) -> Settings:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "recorded_line.yaml").write_text(recorded_line(interruptible), encoding="utf-8")
    return Settings(flows_dir=flows, flow="recorded_line", db_path=tmp_path / "calls.db")


@pytest.fixture
async def server(settings: Settings, speech: EmbeddedSpeechStack) -> AsyncIterator[LocalServer]:
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    async with local_server(ctx) as running:
        yield running


async def test_a_notice_is_cut_off_only_when_interruptible(
    call: CallRunner, interruptible: bool
) -> None:
    # "agent" a second into the six-second notice.
    result, record = await call(Scenario("over_notice", (BargeIn(audio("agent"), 1000),)))

    assert result.error is None
    if interruptible:
        assert result.clears >= 1
        assert [e["by"] for e in events(record, "barge_in")] == ["speech"]
    else:
        assert result.clears == 0
        assert events(record, "barge_in") == []
    # Either way the caller's words were heard and acted on.
    (transfer,) = events(record, "transfer")
    assert transfer["reason"] == "caller_asked_for_agent"
