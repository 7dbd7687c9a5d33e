"""Answer nodes: free questions answered from the flow's FAQ entries only, or an honest
"I don't know" and a person; the entries come inline or `!include`d, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.dialogue.actions import (
    Action,
    Answered,
    AskKnowledge,
    CallStarted,
    Listen,
    Say,
    Transfer,
    Utterance,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import Match
from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flow
from voicebot.speech.grammar import compile_jsgf

FAQ = """\
entries:
  - id: opening_hours
    question: When are your phone lines open?
    answer: We are open from 8 am to 8 pm.
    keywords: [hours, open]
  - id: meter_reading
    question: How do I give a meter reading?
    answer: Use the app or the website.
    keywords: [meter, reading, zxqvbn]
"""

FLOW = """\
flow: faq
nodes:
  ask:
    prompt: "What would you like to know?"
    answer:
      knowledge: !include knowledge/faq.yaml
    next: done
    on_no_answer: sorry
  done:
    say: "Anything else?"
    hangup: true
  sorry:
    say: "Let me find someone."
    transfer: general
"""


def write(tmp_path: Path, flow: str = FLOW, faq: str = FAQ) -> Path:
    (tmp_path / "knowledge").mkdir(exist_ok=True)
    (tmp_path / "knowledge" / "faq.yaml").write_text(faq, encoding="utf-8")
    path = tmp_path / "faq.yaml"
    path.write_text(flow, encoding="utf-8")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> DialogueEngine:
    engine = DialogueEngine(load_flow(write(tmp_path)), call_sid="CAfaq")
    engine.handle(CallStarted(call_sid="CAfaq"))
    return engine


def said(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_a_question_asks_for_an_answer_from_the_relevant_entries(engine: DialogueEngine) -> None:
    [ask] = engine.handle(Utterance("when are your phone lines open"))
    assert isinstance(ask, AskKnowledge)
    assert ask.question == "when are your phone lines open"
    assert [e.id for e in ask.entries] == ["opening_hours"]
    # While the answer is worded the caller's speech changes nothing.
    assert engine.handle(Utterance("hello?")) == []

    actions = engine.handle(Answered("We're open 8 till 8.", "opening_hours", "llm"))
    assert said(actions) == ["We're open 8 till 8.", "Anything else?"]
    assert engine.node == "done"
    assert engine.last_turn is not None and engine.last_turn.intent == "answer:opening_hours"


def test_no_relevant_entry_says_so_and_goes_to_on_no_answer(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("can you recommend a pizza place"))
    assert said(actions) == ["I'm sorry, I don't have an answer to that.", "Let me find someone."]
    [transfer] = [a for a in actions if isinstance(a, Transfer)]
    assert transfer.queue == "general"
    assert not any(isinstance(a, AskKnowledge) for a in actions)


def test_the_model_finding_no_answer_takes_the_same_path(engine: DialogueEngine) -> None:
    engine.handle(Utterance("are your phone lines open on christmas day"))
    actions = engine.handle(Answered("", None, "none"))
    assert said(actions)[0] == "I'm sorry, I don't have an answer to that."
    assert engine.ended == "flow_transfer"


def test_without_on_no_answer_the_caller_is_offered_a_person(tmp_path: Path) -> None:
    flow = FLOW.replace("    on_no_answer: sorry\n", "")
    engine = DialogueEngine(load_flow(write(tmp_path, flow)))
    engine.handle(CallStarted(call_sid="CA1"))
    actions = engine.handle(Utterance("what is the weather like"))
    [transfer] = [a for a in actions if isinstance(a, Transfer)]
    assert transfer.reason == "caller_asked_for_agent"


def test_a_late_answer_is_ignored(engine: DialogueEngine) -> None:
    assert engine.handle(Answered("stray", "opening_hours")) == []
    assert engine.node == "ask"


def test_commands_still_work_but_only_as_the_whole_turn(engine: DialogueEngine) -> None:
    # "agent" inside a question is part of the question, not a request for a person.
    [ask] = engine.handle(Utterance("can an agent take my meter reading"))
    assert isinstance(ask, AskKnowledge) and ask.entries[0].id == "meter_reading"
    engine.handle(Answered("Use the app or the website.", "meter_reading"))


def test_agent_alone_transfers(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("agent"))
    assert any(isinstance(a, Transfer) for a in actions)


def test_the_recogniser_gets_the_questions_and_the_llm_fallback_is_not_needed(
    engine: DialogueEngine,
) -> None:
    expect = engine.expectation()
    assert "when are your phone lines open" in expect.questions
    assert "meter" in expect.questions
    assert not expect.free_speech
    assert engine.understands("anything at all")
    jsgf = compile_jsgf(expect)
    assert "when are your phone lines open" in jsgf
    # Words the dictionary cannot pronounce are left out of the grammar, not fatal.
    assert "zxqvbn" not in jsgf and "<keywords>" in jsgf


def test_the_prompt_is_asked_again_after_silence(engine: DialogueEngine) -> None:
    from voicebot.dialogue.actions import NoInput

    actions = engine.handle(NoInput())
    assert "What would you like to know?" in said(actions)[0]
    assert isinstance(actions[-1], Listen)


@pytest.mark.parametrize(
    ("faq", "flow", "problem"),
    [
        (FAQ + "  - {id: opening_hours, question: q, answer: a}\n", FLOW, "duplicate entry ids"),
        ("entries: []\n", FLOW, "entries"),
        ("entries:\n  - {id: x, question: q}\n", FLOW, "answer"),
        (FAQ, FLOW.replace('    prompt: "What would you like to know?"\n', ""), "missing_prompt"),
        (FAQ, FLOW.replace("on_no_answer: sorry", "on_no_answer: nowhere"), "unknown_node"),
        (FAQ, FLOW.replace("    next: done\n", ""), "missing_next"),
        (
            FAQ,
            FLOW.replace(
                '    say: "Anything else?"\n', '    say: "Anything else?"\n    on_no_answer: ask\n'
            ),
            "unexpected_key",
        ),
    ],
)
def test_bad_answer_nodes_are_one_clear_error_with_file_and_line(
    tmp_path: Path, faq: str, flow: str, problem: str
) -> None:
    path = write(tmp_path, flow, faq)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    text = "\n".join(caught.value.problems)
    assert problem in text
    assert f"{tmp_path}" in text and ":" in text


MENU_FLOW = """\
flow: faq_menu
intents:
  check_balance: {examples: ["check my balance"]}
  ask_question: {examples: ["ask a question"]}
nodes:
  menu:
    say: "Say check my balance, or ask a question."
    on:
      check_balance: balance
      ask_question: ask
  balance:
    say: "Your balance is nil."
    hangup: true
""" + FLOW.split("nodes:\n", 1)[1]


@pytest.fixture
def menu(tmp_path: Path) -> DialogueEngine:
    engine = DialogueEngine(load_flow(write(tmp_path, MENU_FLOW)), call_sid="CAmenu")
    engine.handle(CallStarted(call_sid="CAmenu"))
    return engine


def rejected(text: str) -> Utterance:
    """An open-vocabulary turn the intent matcher placed nowhere."""
    match = Match(intent=None, score=0.1, evidence="none", candidate="check_balance")
    return Utterance(text, confidence=0.9, match=match, open_vocabulary=True)


@pytest.mark.parametrize(
    "turn", [rejected("What hours are you open?"), Utterance("what hours are you open")]
)
def test_a_question_at_the_menu_is_answered_by_its_answer_node(
    menu: DialogueEngine, turn: Utterance
) -> None:
    # The caller skips "ask a question" and asks it: no re-prompt, the FAQ answers at once.
    [ask] = menu.handle(turn)
    assert isinstance(ask, AskKnowledge) and ask.entries[0].id == "opening_hours"
    assert menu.node == "ask"
    actions = menu.handle(Answered("We are open from 8 am to 8 pm.", "opening_hours"))
    assert said(actions) == ["We are open from 8 am to 8 pm.", "Anything else?"]
    assert menu.last_turn is not None and menu.last_turn.intent == "answer:opening_hours"


@pytest.mark.parametrize("text", ["my dog ate my homework", "open sesame"])
def test_menu_speech_sharing_under_two_words_with_an_entry_is_still_a_no_match(
    menu: DialogueEngine, text: str
) -> None:
    # "open sesame" is half "open", relevant enough in the answer node, but one shared word is
    # what a misheard menu choice often has.
    actions = menu.handle(rejected(text))
    assert not any(isinstance(a, AskKnowledge) for a in actions)
    assert menu.node == "menu"
    assert isinstance(actions[-1], Listen)


def test_a_menu_choice_is_still_the_choice_even_when_an_entry_shares_its_words(
    menu: DialogueEngine,
) -> None:
    actions = menu.handle(Utterance("check my balance"))
    assert said(actions) == ["Your balance is nil."]
