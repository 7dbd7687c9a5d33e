"""Rephrasing a template: facts kept or the template is said; streamed; within budgets."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("ollama", reason=NL_MISSING)

from tests.nl.fake_ollama import FakeOllama, Reply
from voicebot.llm.client import Budget, LLMClient
from voicebot.llm.phrasing import Facts, Phrased, Phraser

TEMPLATE = "Your balance is 42.10 pounds, due on 14 March. Your reference is 5521 9034."
FAST = Budget(first_token_secs=0.3, total_secs=1.0)


def phraser(server: FakeOllama, **kw: object) -> Phraser:
    return Phraser(LLMClient(server.url, "tiny:latest", budget=FAST), **kw)  # type: ignore[arg-type]


async def test_faithful_rephrasing_is_used(ollama_server: FakeOllama) -> None:
    better = (
        "I'm sorry for the wait. Your balance is 42.10 pounds, due on 14 March. "
        "Your reference is 5521 9034."
    )
    ollama_server.script(Reply(content=better, pieces=7))
    got = await phraser(ollama_server).phrase(TEMPLATE, emotion="frustrated")
    assert got == Phrased(better, used_template=False)
    system = ollama_server.requests[0]["messages"][0]["content"]
    assert "frustrated" in system


async def test_rephrasing_that_drops_a_digit_falls_back(ollama_server: FakeOllama) -> None:
    ollama_server.script(
        Reply(content="Sorry! You owe 42.10 pounds by 14 March. Reference 5521 903.")
    )
    got = await phraser(ollama_server).phrase(TEMPLATE)
    assert got.used_template and got.text == TEMPLATE


async def test_rephrasing_that_invents_a_number_falls_back(ollama_server: FakeOllama) -> None:
    ollama_server.script(
        Reply(content="You owe 42.10 pounds by 14 March, or 50 pounds later. Reference 5521 9034.")
    )
    got = await phraser(ollama_server).phrase(TEMPLATE)
    assert got.used_template and "number" in got.reason


async def test_slot_value_must_survive(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="Thanks, I have your postcode."))
    got = await phraser(ollama_server).phrase("Thanks, I have SW1A 1AA.", values=["SW1A 1AA"])
    assert got.used_template


async def test_too_long_falls_back(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="Hello there. " * 30 + TEMPLATE))
    got = await phraser(ollama_server, max_chars=100, max_ratio=1.5).phrase(TEMPLATE)
    assert got.used_template and "length" in got.reason


async def test_slow_model_says_the_template(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content=TEMPLATE, first_token_delay=1.0))
    got = await phraser(ollama_server).phrase(TEMPLATE)
    assert got.used_template


async def test_server_error_says_the_template(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(status=500))
    assert (await phraser(ollama_server).phrase(TEMPLATE)).used_template


async def test_sentences_stream_once_every_fact_is_in(ollama_server: FakeOllama) -> None:
    reply = (
        "Your balance is 42.10 pounds, due on 14 March, reference 5521 9034. "
        "Thank you for your patience."
    )
    ollama_server.script(Reply(content=reply, pieces=20))
    said = [s async for s in phraser(ollama_server).stream(TEMPLATE)]
    assert said == [
        "Your balance is 42.10 pounds, due on 14 March, reference 5521 9034.",
        "Thank you for your patience.",
    ]


async def test_stall_after_the_facts_stops_without_repeating(ollama_server: FakeOllama) -> None:
    reply = "Your balance is 42.10 pounds, due on 14 March, reference 5521 9034. And also more."
    ollama_server.script(Reply(content=reply, pieces=8, stall_after=7))
    outcome: list[Phrased] = []
    said = [s async for s in phraser(ollama_server).stream(TEMPLATE, outcome=outcome)]
    assert said == ["Your balance is 42.10 pounds, due on 14 March, reference 5521 9034."]
    assert not outcome[0].used_template and "no token" in outcome[0].reason


def test_facts_of_a_template() -> None:
    facts = Facts.of("Your balance is forty two pounds, account 1234 5678, on 3 June.")
    assert facts.numbers == ("12345678", "3")
    assert {"forty", "two", "pounds", "june"} <= set(facts.words)
    assert facts.missing_in("balance forty two pounds, account 12345678, on 3 June") == []
    assert facts.missing_in("balance forty pounds, account 12345678, on 3 June") == ["two"]
    assert facts.missing_in("forty two pounds, account 12345678, on 3 June") == ["balance"]


MENU = (
    "Thanks for calling Acme Energy. You can say check my balance, report an outage, "
    "ask a question, or agent."
)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("Sure.", "dropped"),  # the whole menu replaced by a word
        (
            "Thanks for calling Acme Energy. You can say check my balance, or agent.",
            "dropped",
        ),  # two options lost
        (
            "Thanks for calling Acme Energy. You can say check my balance, report an outage, "
            "pay a bill, ask a question, or agent.",
            "added",
        ),  # an option the menu does not have
        (
            "Thanks for calling Acme Energy. You can say agent, ask a question, report an "
            "outage, or check my balance.",
            "order",
        ),  # options reordered: keypad 1 would no longer be the first one said
        (
            "Thanks for calling Acme Energy. I can also book you an engineer visit. You can say "
            "check my balance, report an outage, ask a question, or agent.",
            "added",
        ),  # an offer the flow never made
    ],
)
async def test_a_rephrasing_must_keep_every_option_in_order_and_add_none(
    ollama_server: FakeOllama, reply: str, why: str
) -> None:
    ollama_server.script(Reply(content=reply, pieces=9))
    outcome: list[Phrased] = []
    said = [s async for s in phraser(ollama_server).stream(MENU, outcome=outcome)]
    assert said == [MENU]
    assert outcome[0].used_template and why in outcome[0].reason, outcome[0].reason


async def test_a_warmer_menu_with_every_option_in_order_is_used(ollama_server: FakeOllama) -> None:
    warmer = (
        "I'm so sorry for the trouble. Thanks for calling Acme Energy. You can say check my "
        "balance, report an outage, ask a question, or agent."
    )
    ollama_server.script(Reply(content=warmer, pieces=9))
    got = await phraser(ollama_server).phrase(MENU, emotion="frustrated")
    assert got == Phrased(warmer, used_template=False)
