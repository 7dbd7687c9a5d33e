"""Whole calls on the default open-vocabulary stack: real tiny.en hears the caller, real joe
speaks, over a real websocket. The caller's voices are espeak-ng at telephone quality."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)
pytest.importorskip("piper", reason=NL_MISSING)

import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from tests.conftest import FLOWS_DIR
from tests.e2e.conftest import events, wait_for_end
from voicebot.pipeline.stack import ConfiguredSpeechStack, fixed_prompts
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.speech.models import require_models
from voicebot.tools.demo import LocalServer, local_server
from voicebot.tools.replay.audio import synthesise
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import HangUp, Keys, Scenario, Speak

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def open_stack(real_models: Path) -> Iterator[ConfiguredSpeechStack]:
    # A loaded CI machine must not change what is heard: the time limit has its own test.
    settings = Settings(model_cache=real_models, whisper_time_limit_secs=30.0)
    settings = require_models(settings)  # stt/tts: auto
    assert (settings.stt, settings.tts) == ("whisper", "piper")
    stack = ConfiguredSpeechStack(settings)
    yield stack
    stack.close()  # the grammar cross-check's decode processes


@pytest.fixture
async def server(tmp_path: Path, open_stack: ConfiguredSpeechStack) -> AsyncIterator[LocalServer]:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db")
    ctx = build_context(settings, host="127.0.0.1", speech=open_stack)
    async with local_server(ctx) as running:
        yield running


def said(
    tmp_path: Path, text: str, voice: str = "en-us", rate: int = 160, noise: float = 0.0
) -> Speak:
    path = tmp_path / f"{abs(hash((text, voice, rate, noise)))}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(synthesise(text, voice=voice, rate=rate, noise=noise))
    return Speak(path, label=text)


async def run(server: LocalServer, *steps: Any) -> dict[str, Any]:
    simulator = CallerSimulator(server.stream_url, speed=4.0, reply_timeout=40.0)
    result = await simulator.run(Scenario("real", steps))
    assert result.error is None
    return await wait_for_end(server, result.call_sid)


@pytest.mark.parametrize(
    ("words", "voice"),
    [
        ("I'd like to speak to a real person, please.", "en-us"),
        ("Can I talk to an agent?", "en-gb-x-rp"),
    ],
)
async def test_a_paraphrased_agent_request_reaches_a_person(
    server: LocalServer, tmp_path: Path, words: str, voice: str
) -> None:
    record = await run(server, said(tmp_path, words, voice=voice))
    (transfer,) = events(record, "transfer")
    assert transfer["reason"] == "caller_asked_for_agent"
    assert record["end_reason"] == "transferred"


async def test_off_topic_speech_is_not_a_crisis_or_a_goodbye(
    server: LocalServer, tmp_path: Path
) -> None:
    record = await run(
        server,
        said(tmp_path, "Who won the football last night?"),
        said(tmp_path, "I got a new card.", voice="en-gb-x-rp"),
    )
    heard = events(record, "caller_said")
    assert len(heard) == 2 and all(e.get("intent") in (None, "no_match") for e in heard)
    # Two turns the menu cannot place: the flow hands the caller to a person (no_match_limit),
    # never the crisis route, never a goodbye.
    reasons = [e["reason"] for e in events(record, "transfer")]
    assert "crisis" not in reasons and reasons in ([], ["no_match_limit"])
    assert record["end_reason"] in ("caller_hung_up", "transferred")


async def test_a_menu_choice_whisper_mishears_is_checked_through_the_grammar(
    server: LocalServer, tmp_path: Path
) -> None:
    # tiny.en writes this voice's words as ones the matcher cannot place surely; the node's
    # grammar, decoding the same turn, finds report_outage too, so the bot asks first.
    record = await run(
        server,
        said(tmp_path, "the electricity has been cut off", "en-us-nyc", rate=150, noise=0.01),
        said(tmp_path, "yes"),
        HangUp(),
    )
    first, answer = events(record, "caller_said")[:2]
    assert first["match"]["evidence"] == "agreed" and first["match"]["intent"] == "report_outage"
    assert first["intent"] == "check:report_outage" and first["next_node"] == "greet"
    assert answer["next_node"] == "outage_postcode"  # the caller's "yes" to "Did you say …?"


async def test_a_question_asked_at_the_greeting_is_answered_from_the_faq(
    server: LocalServer, tmp_path: Path
) -> None:
    # No "ask a question" first: the menu's answer node answers it at once.
    record = await run(
        server, said(tmp_path, "What time are you open on Saturday?", voice="en-gb-x-rp"), HangUp()
    )
    (answered,) = events(record, "answered")
    assert answered["node"] == "ask_question" and answered["entry_id"] == "opening_hours"
    assert answered["next_node"] == "ask_anything_else"


async def test_a_wrong_account_number_is_caught_by_the_read_back(
    server: LocalServer, tmp_path: Path
) -> None:
    record = await run(
        server,
        said(tmp_path, "check my balance"),
        said(tmp_path, "two three four five three five eight four", voice="en-us+m3"),
        said(tmp_path, "no"),
        said(tmp_path, "two three four five three five eight three", voice="en-us+m3"),
        said(tmp_path, "yes"),
        Keys("4321#"),
        HangUp(),
    )
    # The account number is sensitive, so the record masks what was said and read back; the
    # read-back shows as two confirmation turns, and the balance billing answered is the
    # corrected account's (the stand-in billing system knows 23453583 as 42.10).
    confirmations = [
        e for e in events(record, "caller_said") if e["slot"] == "confirm_account_number"
    ]
    assert len(confirmations) == 2  # the wrong number was read back and rejected…
    assert [e["slot"] for e in events(record, "slot_set")].count("account_number") == 2
    balance = [e["value"] for e in events(record, "slot_set") if e["slot"] == "balance"]
    assert balance == ["42.10"]  # …and the caller's correction is what billing was asked for


def test_fixed_prompts_of_the_shipped_flows_are_marked_to_keep(
    open_stack: ConfiguredSpeechStack,
) -> None:
    from voicebot.flows.loader import load_flows

    prompts = fixed_prompts(load_flows(FLOWS_DIR).values())
    assert any("didn't catch that" in p for p in prompts)
    assert not any("{" in p for p in prompts)
    assert open_stack.piper is not None and open_stack.piper.prime(prompts) >= len(prompts)
