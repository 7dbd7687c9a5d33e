"""Grounded answers: only from the knowledge file, citing an entry, or an honest 'I don't know'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("ollama", reason=NL_MISSING)

from tests.nl.fake_ollama import FakeOllama, Reply
from voicebot.exceptions import ConfigError
from voicebot.llm.answers import NO_ANSWER, GroundedAnswerer, load_knowledge, rank
from voicebot.llm.client import Budget, LLMClient

FAQ = Path(__file__).parent / "knowledge" / "nl_support_faq.yaml"
FAST = Budget(first_token_secs=0.3, total_secs=1.0)
HOURS = "Our phone lines are open from 8 am to 8 pm, Monday to Saturday."


def answerer(server: FakeOllama) -> GroundedAnswerer:
    return GroundedAnswerer(LLMClient(server.url, "tiny:latest", budget=FAST), load_knowledge(FAQ))


def reply(entry_id: str, answer: str) -> Reply:
    return Reply(content=json.dumps({"entry_id": entry_id, "answer": answer}))


async def test_answer_cites_its_entry(ollama_server: FakeOllama) -> None:
    ollama_server.script(reply("opening_hours", "We're open 8 am to 8 pm, Monday to Saturday."))
    got = await answerer(ollama_server).answer("what time are your phone lines open on saturday")
    assert (got.entry_id, got.source) == ("opening_hours", "llm")
    assert got.text == "We're open 8 am to 8 pm, Monday to Saturday."
    request = ollama_server.requests[0]
    assert "opening_hours" in request["format"]["properties"]["entry_id"]["enum"]
    assert "[opening_hours]" in request["messages"][0]["content"]


async def test_irrelevant_question_offers_a_person(ollama_server: FakeOllama) -> None:
    got = await answerer(ollama_server).answer("can you recommend a good pizza place nearby")
    assert (got.text, got.entry_id, got.source) == (NO_ANSWER, None, "none")
    assert ollama_server.requests == []  # nothing to ground an answer in: the model is not asked


async def test_model_saying_none_offers_a_person(ollama_server: FakeOllama) -> None:
    ollama_server.script(reply("none", ""))
    got = await answerer(ollama_server).answer("are your phone lines open on bank holidays")
    assert got.text == NO_ANSWER and got.entry_id is None


async def test_unknown_citation_is_rejected(ollama_server: FakeOllama) -> None:
    ollama_server.script(reply("refund_policy", "Refunds take 3 days."))
    got = await answerer(ollama_server).answer("when are your phone lines open")
    assert (got.text, got.entry_id, got.source) == (HOURS, "opening_hours", "entry")


async def test_invented_number_is_rejected(ollama_server: FakeOllama) -> None:
    ollama_server.script(reply("opening_hours", "We're open 9 am to 5 pm."))
    got = await answerer(ollama_server).answer("when are your phone lines open")
    assert got.source == "entry" and got.text == HOURS


async def test_slow_model_reads_the_entry(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="{}", first_token_delay=1.0))
    got = await answerer(ollama_server).answer("when are your phone lines open")
    assert got.source == "entry" and got.text == HOURS


def test_ranking_prefers_the_matching_entry() -> None:
    knowledge = load_knowledge(FAQ)
    best = rank("how can I submit my meter readings", knowledge)[0]
    assert best[1].id == "meter_reading" and best[0] >= 0.5


def test_bad_knowledge_files(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "entries:\n  - {id: a, question: q, answer: x}\n  - {id: a, question: q2, answer: y}\n"
    )
    with pytest.raises(ConfigError, match="duplicate entry ids: a"):
        load_knowledge(dup)
    extra = tmp_path / "extra.yaml"
    extra.write_text("entries:\n  - {id: a, question: q, answer: x, url: nope}\n")
    with pytest.raises(ConfigError, match="url"):
        load_knowledge(extra)
