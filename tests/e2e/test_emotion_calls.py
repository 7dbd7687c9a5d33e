"""The caller's emotion in whole calls: a caller growing angrier hears the wording change and
is escalated by the flow's rule; a crisis phrase decoded by the grammar recogniser is offered a
person (the grammar forces speech onto its phrases, so it is no evidence on its own), and a yes
takes the crisis route."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CallRunner, audio, events
from voicebot.tools.simulator.scenario import Scenario, Speak

pytestmark = pytest.mark.e2e


async def test_a_caller_growing_angrier_is_escalated(call: CallRunner) -> None:
    scenario = Scenario(
        "angrier",
        (Speak(audio("youre_useless")), Speak(audio("cancel_my_account"))),
    )
    result, record = await call(scenario)

    assert result.error is None
    said = events(record, "caller_said")
    assert [e["transcript"] for e in said] == ["you're useless", "i want to cancel my account"]
    assert [e["emotion"] for e in said] == ["angry", "angry"]
    replies = [e["text"] for e in events(record, "bot_said")]
    # The greeting, then the reply to an angry caller: an opener and the quicker menu.
    assert "I'll be quick" in " ".join(replies[1:3])
    assert replies[1] != replies[0]
    (transfer,) = events(record, "transfer")
    assert transfer["reason"] == "emotion_escalation"
    assert transfer["queue"] == "priority"
    assert [e["label"] for e in transfer["handoff"]["emotion"]] == ["angry", "angry"]
    assert record["end_reason"] == "transferred"


async def test_a_grammar_decoded_crisis_phrase_is_offered_a_person_then_transferred(
    call: CallRunner,
) -> None:
    scenario = Scenario("crisis", (Speak(audio("i_want_to_end_my_life")), Speak(audio("yes"))))
    result, record = await call(scenario)

    assert result.error is None
    said = events(record, "caller_said")
    assert said[0]["transcript"] == "i want to end my life"
    assert said[1]["outcome"] == "matched"  # the yes (decoded as "yes" or "yep")
    offer = events(record, "bot_said")[-2]["text"]
    assert "Would you like me to put you through to someone right now?" in offer
    (transfer,) = events(record, "transfer")
    assert (transfer["reason"], transfer["queue"]) == ("crisis", "priority")
    assert "stay on the line" in events(record, "bot_said")[-1]["text"]
