"""The LLM understanding fallback: schema sent, answers validated, every failure a no-match."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("ollama", reason=NL_MISSING)

import json
from pathlib import Path

from pipecat.frames.frames import TranscriptionFrame
from pipecat.tests.utils import run_test

from tests.nl.fake_ollama import FakeOllama, Reply
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.engine import DialogueEngine
from voicebot.flows.flow import Flow
from voicebot.llm.client import Budget, LLMClient
from voicebot.llm.understanding import LLMUnderstander, Understood, response_schema
from voicebot.pipeline.call import CallInfo
from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.storage.calls import CallStore
from voicebot.storage.sqlite import SqliteCallStore

FAST = Budget(first_token_secs=0.3, total_secs=1.0)
MENU = Expectation(
    node="greet",
    intents={"check_balance": ("my balance",), "report_outage": ("power cut",)},
)
ACCOUNT = Expectation(
    node="collect_account",
    intents={"agent": ("agent",)},
    slot=SlotExpectation(name="account_number", type="digits", min_length=8, max_length=8),
)


def understander(server: FakeOllama) -> LLMUnderstander:
    return LLMUnderstander(LLMClient(server.url, "tiny:latest", budget=FAST))


def answer(**fields: object) -> Reply:
    return Reply(content=json.dumps(fields))


async def test_intent_understood_with_schema_sent(ollama_server: FakeOllama) -> None:
    ollama_server.script(answer(intent="check_balance"))
    got = await understander(ollama_server).understand("what do I owe you lot", MENU)
    assert got == Understood(intent="check_balance")
    sent = ollama_server.requests[0]
    assert sent["format"] == response_schema(MENU)
    assert sent["format"]["properties"]["intent"]["enum"] == [
        "check_balance",
        "report_outage",
        "none",
    ]


async def test_slot_value_understood(ollama_server: FakeOllama) -> None:
    ollama_server.script(answer(intent="none", slot="12345678"))
    got = await understander(ollama_server).understand("it's on the bill, 1234 5678", ACCOUNT)
    assert got == Understood(slot_text="12345678")
    assert "slot" in ollama_server.requests[0]["format"]["required"]


async def test_sensitive_slot_is_never_sent(ollama_server: FakeOllama) -> None:
    pin = Expectation(
        node="pin",
        slot=SlotExpectation(name="pin", type="digits", min_length=4, max_length=4, sensitive=True),
    )
    ollama_server.script(answer(intent="none", slot="1234"))
    assert await understander(ollama_server).understand("it's one two three four", pin) is None
    assert ollama_server.requests == []


async def test_invalid_json_is_no_match(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content='{"intent": "check_bal'))
    assert await understander(ollama_server).understand("hmm", MENU) is None


async def test_intent_the_node_does_not_expect_is_no_match(ollama_server: FakeOllama) -> None:
    ollama_server.script(answer(intent="transfer_money"))
    assert await understander(ollama_server).understand("send money", MENU) is None


async def test_slot_value_the_parser_rejects_is_no_match(ollama_server: FakeOllama) -> None:
    ollama_server.script(answer(intent="none", slot="1234"))  # 4 digits, 8 expected
    assert await understander(ollama_server).understand("one two three four", ACCOUNT) is None


async def test_slow_model_is_no_match(ollama_server: FakeOllama) -> None:
    ollama_server.script(
        Reply(content=json.dumps({"intent": "check_balance"}), first_token_delay=1)
    )
    assert await understander(ollama_server).understand("what do I owe", MENU) is None


async def test_server_error_is_no_match(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(status=500))
    assert await understander(ollama_server).understand("what do I owe", MENU) is None


async def _call(
    flow: Flow, tmp_path: Path, server: FakeOllama, *said: str
) -> tuple[DialogueEngine, CallStore]:
    store = SqliteCallStore(tmp_path / "calls.db")
    call = CallInfo(call_sid="CA0001", stream_sid="MZ0001", flow="nl_support")
    store.start_call(call.call_sid, call.stream_sid, call.flow, None)
    engine = DialogueEngine(flow, call_sid=call.call_sid)
    dialogue = DialogueProcessor(engine, call, store, understander=understander(server))
    frames = [TranscriptionFrame(text=t, user_id="caller", timestamp="") for t in said]
    await run_test(dialogue, frames_to_send=frames, expected_down_frames=None)
    return engine, store


async def test_call_outside_the_grammar_fills_the_slot_through_the_llm(
    nl_flow: Flow, tmp_path: Path, ollama_server: FakeOllama
) -> None:
    menu_turn = "I want to know what I owe you lot"
    account_turn = "it's the one printed on my bill, ends five six seven eight"
    probe = DialogueEngine(nl_flow, call_sid="probe")
    assert not probe.understands(menu_turn)  # the grammar alone cannot follow this caller
    ollama_server.script(answer(intent="check_balance"), answer(intent="none", slot="12345678"))

    engine, store = await _call(nl_flow, tmp_path, ollama_server, menu_turn, account_turn)

    assert engine.slots["account_number"] == "12345678"
    assert len(ollama_server.requests) == 2
    record = store.get_call("CA0001")
    assert record is not None
    said = [e for e in record["events"] if e["kind"] == "caller_said"]
    assert [e.get("understood_by") for e in said] == ["llm", "llm"]


async def test_grammar_match_does_not_ask_the_llm(
    nl_flow: Flow, tmp_path: Path, ollama_server: FakeOllama
) -> None:
    engine, _ = await _call(nl_flow, tmp_path, ollama_server, "check my balance")
    assert engine.node == "collect_account"
    assert ollama_server.requests == []


async def test_llm_no_match_leaves_the_turn_unmatched(
    nl_flow: Flow, tmp_path: Path, ollama_server: FakeOllama
) -> None:
    ollama_server.script(Reply(content="not json at all"))
    engine, _ = await _call(nl_flow, tmp_path, ollama_server, "purple elephants")
    assert engine.node == "greet"
    assert len(ollama_server.requests) == 1
