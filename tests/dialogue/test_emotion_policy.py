"""The flow's emotion policy in the engine: crisis route, escalation rules, empathy openers,
shorter menus, the offer of a person, and the voice style of each reply."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from voicebot.dialogue.actions import CallStarted, Say, Transfer, Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.flows.emotion_policy import Estimate
from voicebot.flows.loader import load_flow

FLOW = """
flow: moods
queues: {general: {}, priority: {}}
intents:
  balance: {examples: ["check my balance"]}
  outage: {examples: ["report an outage"]}
emotion:
  escalate:
    - {emotion: [angry], min_intensity: 0.7, turns: 2, queue: priority}
  crisis: {queue: priority, say: "Stay on the line, I'm connecting you now."}
nodes:
  menu:
    say: "Welcome to Acme Energy. You can say check my balance, or report an outage."
    on: {balance: ask, outage: ask}
  ask:
    collect: answer
    prompt: "Is that all?"
    max_retries: 3
    branch: {yes: bye, no: menu}
  bye: {say: "Goodbye.", hangup: true}
slots:
  answer: {type: yes_no}
"""

ANGRY = Estimate("angry", 0.8, score=0.7)
CALM = Estimate("neutral", 0.1)
ANXIOUS = Estimate("anxious", 0.8)


@pytest.fixture
def engine(tmp_path: Path) -> DialogueEngine:
    path = tmp_path / "moods.yaml"
    path.write_text(FLOW, encoding="utf-8")
    engine = DialogueEngine(load_flow(path), call_sid="CA1")
    engine.handle(CallStarted(call_sid="CA1"))
    return engine


def says(actions: Sequence[object]) -> list[Say]:
    return [a for a in actions if isinstance(a, Say)]


def test_a_crisis_transfers_at_once_from_anywhere(engine: DialogueEngine) -> None:
    actions = engine.handle(
        Utterance(
            "check my balance",
            emotion=Estimate("anxious", 0.9, crisis=True),
            open_vocabulary=True,  # heard by whisper: a grammar decode only offers a person
        )
    )
    assert [s.text for s in says(actions)] == ["Stay on the line, I'm connecting you now."]
    transfer = actions[-1]
    assert isinstance(transfer, Transfer)
    assert (transfer.queue, transfer.reason) == ("priority", "crisis")
    assert engine.node == "menu"  # what the caller said was not acted on


def test_two_angry_turns_in_a_row_escalate(engine: DialogueEngine) -> None:
    first = engine.handle(Utterance("check my balance", emotion=ANGRY))
    assert not any(isinstance(a, Transfer) for a in first)
    second = engine.handle(Utterance("yes", emotion=ANGRY))
    transfer = second[-1]
    assert isinstance(transfer, Transfer) and transfer.reason == "emotion_escalation"
    assert transfer.queue == "priority"
    emotions = transfer.handoff["emotion"]
    assert isinstance(emotions, list) and [e["label"] for e in emotions] == ["angry", "angry"]


def test_a_calm_turn_between_resets_the_escalation_streak(engine: DialogueEngine) -> None:
    engine.handle(Utterance("check my balance", emotion=ANGRY))
    engine.handle(Utterance("purple", emotion=CALM))
    actions = engine.handle(Utterance("purple", emotion=ANGRY))
    assert not any(isinstance(a, Transfer) and a.reason == "emotion_escalation" for a in actions)


def test_openers_are_not_on_every_turn_nor_repeated(engine: DialogueEngine) -> None:
    openers: list[str | None] = []
    for _ in range(7):
        actions = engine.handle(Utterance("purple", emotion=Estimate("frustrated", 0.5)))
        first = says(actions)[0].text
        openers.append(None if first.startswith("Sorry, I didn't") else first)
        engine.state.no_match = 0  # stay in the node: this test is about openers, not retries
    used = [o for o in openers if o is not None]
    assert len(used) >= 2 and None in openers
    assert openers[0] is not None  # the first upset turn gets one
    assert all(a != b for a, b in zip(used, used[1:], strict=False))
    assert all(not (a and b) for a, b in zip(openers, openers[1:], strict=False))


def test_calm_callers_get_no_opener(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("purple", emotion=CALM))
    assert says(actions)[0].text.startswith("Sorry, I didn't catch that.")


def test_impatient_callers_hear_a_short_menu_and_the_offer_of_a_person(
    engine: DialogueEngine,
) -> None:
    actions = engine.handle(Utterance("purple", emotion=Estimate("frustrated", 0.6)))
    texts = [s.text for s in says(actions)]
    assert texts[-1] == (
        "Sorry, I didn't catch that. Say check my balance, report an outage, or agent. "
        "Or say agent to talk to a person."
    )


def test_anxious_callers_are_answered_in_the_calm_style(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("check my balance", emotion=ANXIOUS))
    assert {s.style for s in says(actions)} == {"anxious"}
    actions = engine.handle(Utterance("purple", emotion=CALM))
    assert {s.style for s in says(actions)} == {"neutral"}


def test_the_emotion_is_a_condition_name(engine: DialogueEngine) -> None:
    engine.handle(Utterance("purple", emotion=ANGRY))
    assert engine.call_facts["emotion"] == "angry"
    assert engine.call_facts["emotion_score"] == 0.7
