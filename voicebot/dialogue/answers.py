"""Answer nodes: a caller's question looked up in the flow's FAQ entries (the shell words
the answer and sends it back as `Answered`), or a command if that is all the turn was."""

from __future__ import annotations

from voicebot.dialogue.acting import act
from voicebot.dialogue.actions import Action, Answered, AskKnowledge, Expectation, Say
from voicebot.dialogue.commands import command
from voicebot.dialogue.nodes import enter, route
from voicebot.dialogue.replies import say
from voicebot.dialogue.state import CallState, Pending
from voicebot.dialogue.understanding import Interpretation, match_intent
from voicebot.language.words import normalise


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
