"""Answer nodes: a caller's question looked up in the flow's FAQ entries (the shell words
the answer and sends it back as `Answered`), or a command if that is all the turn was."""

from __future__ import annotations

from voicebot.dialogue.acting import act
from voicebot.dialogue.actions import Action, Answered, AskKnowledge, Expectation, Say
from voicebot.dialogue.commands import command
from voicebot.dialogue.expectations import expectation
from voicebot.dialogue.nodes import arrive, enter, route
from voicebot.dialogue.replies import say
from voicebot.dialogue.state import CallState, Pending
from voicebot.dialogue.understanding import Interpretation, match_intent
from voicebot.flows.knowledge import shared_words
from voicebot.language.words import normalise

MENU_QUESTION_WORDS = 2
"""Content words a menu turn must share with an FAQ entry to be answered as a question: one
word in common is what a misheard choice often has ("before it can happen?" for "report an
outage" shares "before" with the moving-home entry; bench/understanding.py, 2026-12-02)."""


def question(state: CallState, text: str, expect: Expectation) -> list[Action]:
    """A turn in an answer node: a command only if it is nothing but one ("agent"), else
    a question for the FAQ entries."""
    found = match_intent(text, expect.intents, exact=True)
    if found is not None or not normalise(text):
        return act(state, Interpretation(intent=found))
    spec = state.current.answer
    assert spec is not None  # only called in answer nodes
    entries = spec.knowledge.relevant(text, spec.min_relevance)
    if not entries:
        return no_answer(state)
    state.pending = Pending("answer")
    return [AskKnowledge(question=text, entries=tuple(entries))]


def asked_at_menu(state: CallState, text: str) -> list[Action] | None:
    """A turn at a menu that matched none of its choices but is a question one of its
    answer nodes can answer ("what time are you open?" where the caller was offered "ask a
    question"): answered there at once, as if the caller had chosen that route and asked it.
    None when the menu has no such route, or no FAQ entry is relevant enough and shares
    MENU_QUESTION_WORDS of the turn's content words."""
    node = state.current
    if node.kind != "menu" or not node.on or not normalise(text):
        return None
    for intent, target in node.on.items():
        spec = state.flow.nodes[target].answer
        entries = [] if spec is None else spec.knowledge.relevant(text, spec.min_relevance)
        if not entries or shared_words(text, entries[0]) < MENU_QUESTION_WORDS:
            continue
        state.record("matched", intent=intent)
        state.intent = intent
        arrive(state, target)
        state.caller_node = target
        return question(state, text, expectation(state))
    return None


def answered(state: CallState, answer: Answered) -> list[Action]:
    pending, state.pending = state.pending, None
    if pending is None or pending.purpose != "answer":
        return []  # an answer nobody waits for (the call moved on)
    if answer.entry_id is None:
        return no_answer(state)
    state.no_match = state.no_input = 0
    state.record("matched", intent=f"answer:{answer.entry_id}")
    node = state.current
    said = Say(answer.text, style=state.mood.style())  # FAQ words, not a template
    return [said, *enter(state, route(state, node))]


def no_answer(state: CallState) -> list[Action]:
    node = state.current
    assert node.answer is not None
    state.record("matched", intent="answer:none")
    said = say(state, node.answer.no_answer)
    if node.on_no_answer is not None:
        return [said, *enter(state, node.on_no_answer)]
    return [said, *command(state, "agent")]
