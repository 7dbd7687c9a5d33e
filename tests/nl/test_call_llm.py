"""A whole call through the real server with stt: whisper and llm: ollama.

The caller's words are outside the flow's grammar (the tiny Whisper only ever says "hello"),
so only the LLM (the loopback ollama-compatible server) can move the call on: it picks the
menu intent, then gives the account number, which the engine parses and stores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)
pytest.importorskip("ollama", reason=NL_MISSING)

from tests.conftest import DEMO_AUDIO, FLOWS_DIR
from tests.e2e.conftest import events, wait_for_end
from tests.nl.fake_ollama import FakeOllama, Reply
from voicebot.pipeline.stack import ConfiguredSpeechStack
from voicebot.server.app import AppContext, build_context
from voicebot.settings import Settings
from voicebot.tools.demo import local_server
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import Scenario, Speak

NL_FLOWS = Path(__file__).parent / "flows"


@pytest.mark.e2e
async def test_out_of_grammar_call_is_understood_through_the_llm(
    tmp_path: Path, real_models: Path, ollama_server: FakeOllama
) -> None:
    """Real tiny.en hears "the weather is lovely in paris today" (en-gb espeak: it writes
    "… in Paris today") twice: no intent or slot of the node in it, so the LLM fallback is
    asked (scripted: check_balance, then a slot)."""
    settings = Settings(
        flows_dir=NL_FLOWS,
        flow="nl_support",
        db_path=tmp_path / "calls.db",
        stt="whisper",
        tts="espeak",
        model_cache=real_models,
        llm="ollama",
        ollama_url=ollama_server.url,
        ollama_model="tiny:latest",
    )
    ollama_server.script(
        Reply(content=json.dumps({"intent": "check_balance"})),
        Reply(content=json.dumps({"intent": "none", "slot": "12345678"})),
    )
    ctx = build_context(settings, host="127.0.0.1", speech=ConfiguredSpeechStack(settings))
    scenario = Scenario(
        "llm_understands",
        (
            Speak(DEMO_AUDIO / "out_of_grammar.wav"),
            Speak(DEMO_AUDIO / "out_of_grammar.wav"),
        ),
    )
    async with local_server(ctx) as server:
        result = await CallerSimulator(server.stream_url, speed=4.0).run(scenario)
        record = await wait_for_end(server, result.call_sid)

    said = events(record, "caller_said")
    assert all("paris" in e["transcript"].lower() for e in said)
    assert [e.get("understood_by") for e in said] == ["llm", "llm"]
    assert [e["next_node"] for e in said] == ["collect_account", "goodbye"]
    slots = events(record, "slot_set")
    assert [(e["slot"], e["value"]) for e in slots] == [("account_number", "12345678")]
    schema = ollama_server.requests[1]["format"]
    assert schema["required"] == ["intent", "slot"]


def support_line_with_llm(tmp_path: Path, ollama_server: FakeOllama) -> AppContext:
    """The shipped support line on the embedded recogniser, with llm: ollama (loopback)."""
    settings = Settings(
        flows_dir=FLOWS_DIR,
        db_path=tmp_path / "calls.db",
        stt="pocketsphinx",
        tts="espeak",
        llm="ollama",
        ollama_url=ollama_server.url,
        ollama_model="tiny:latest",
    )
    return build_context(settings, host="127.0.0.1", speech=ConfiguredSpeechStack(settings))


@pytest.mark.e2e
async def test_an_angry_caller_hears_the_llm_rephrasing(
    tmp_path: Path, ollama_server: FakeOllama
) -> None:
    """Embedded recogniser, llm: ollama. The reply to an angry caller goes through the model
    (streamed, facts checked) and the call record says what was said instead of the template."""

    def answer(body: dict[str, Any]) -> Reply:
        if "format" in body:  # the understanding fallback: nothing to add
            return Reply(content=json.dumps({"intent": "none"}))
        template = body["messages"][-1]["content"]
        return Reply(content=f"Right, I am so sorry about that. {template}", pieces=6)

    ollama_server.answer = answer
    ctx = support_line_with_llm(tmp_path, ollama_server)
    scenario = Scenario("angry_rephrased", (Speak(DEMO_AUDIO / "youre_useless.wav"),))
    async with local_server(ctx) as server:
        result = await CallerSimulator(server.stream_url, speed=4.0).run(scenario)
        record = await wait_for_end(server, result.call_sid)

    (said,) = events(record, "caller_said")
    assert said["emotion"] == "angry"
    phrasings = [r for r in ollama_server.requests if "format" not in r]
    assert phrasings, "no reply was sent to the model for rephrasing"
    assert "angry" in phrasings[0]["messages"][0]["content"]
    rephrased = events(record, "bot_rephrased")
    assert rephrased and rephrased[0]["text"].startswith("Right, I am so sorry about that.")
    # The greeting (neutral) was never sent to the model.
    greeting = events(record, "bot_said")[0]["text"]
    assert all(r["messages"][-1]["content"] != greeting for r in phrasings)


OPENING_HOURS = "We're open from 8 am to 8 pm on weekdays, and 9 am to 5 pm on Saturday."


async def faq_call(
    tmp_path: Path, ollama_server: FakeOllama, first_token_delay: float = 0.0
) -> dict[str, Any]:
    """The support line's answer node asked about phone lines, the model citing the opening
    hours entry after `first_token_delay`; the call's record."""
    from voicebot.tools.replay.audio import synth_frames

    def answer(body: dict[str, Any]) -> Reply:
        if "entry_id" in json.dumps(body.get("format") or {}):
            content = json.dumps({"entry_id": "opening_hours", "answer": OPENING_HOURS})
            return Reply(content=content, first_token_delay=first_token_delay)
        if "format" in body:  # the understanding fallback: nothing to add
            return Reply(content=json.dumps({"intent": "none"}))
        return Reply(status=500)  # no rephrasing here: the template is said

    ollama_server.answer = answer
    ctx = support_line_with_llm(tmp_path, ollama_server)

    def say(text: str) -> Speak:
        return Speak(None, label=text, frames=tuple(synth_frames(text, "en-us", 160, 0.0)))

    scenario = Scenario(
        "faq_llm", (say("i have a question"), say("when are your phone lines open"))
    )
    async with local_server(ctx) as server:
        result = await CallerSimulator(server.stream_url, speed=4.0).run(scenario)
        return await wait_for_end(server, result.call_sid)


@pytest.mark.e2e
async def test_a_question_is_answered_by_the_llm_citing_its_faq_entry(
    tmp_path: Path, ollama_server: FakeOllama
) -> None:
    """The support line's answer node with llm: ollama: the model words the answer from the
    entry it cites; the record says which entry and that the model worded it."""
    record = await faq_call(tmp_path, ollama_server)

    (answered,) = events(record, "answered")
    assert (answered["entry_id"], answered["source"]) == ("opening_hours", "llm")
    assert answered["next_node"] == "ask_anything_else"
    assert OPENING_HOURS in [e["text"] for e in events(record, "bot_said")]
    asked = [r for r in ollama_server.requests if "entry_id" in json.dumps(r.get("format") or {})]
    assert asked[0]["messages"][-1]["content"] == "when are your phone lines open"
    assert "opening_hours" in asked[0]["format"]["properties"]["entry_id"]["enum"]


@pytest.mark.e2e
async def test_a_slow_llm_answer_gets_the_holding_phrase_instead_of_silence(
    tmp_path: Path, ollama_server: FakeOllama
) -> None:
    """The model takes 1.1 s to its first token (inside its 1.2 s budget, past the 1 s
    holding point): the caller hears "one moment" while it thinks, then its answer."""
    record = await faq_call(tmp_path, ollama_server, first_token_delay=1.1)

    kinds = [e["kind"] for e in record["events"]]
    (held,) = events(record, "holding_phrase")
    assert held["backend"] == "llm"
    assert kinds.index("holding_phrase") < kinds.index("answered")
    (answered,) = events(record, "answered")
    assert answered["source"] == "llm" and answered["ms"] >= 1000
