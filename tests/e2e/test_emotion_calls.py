"""The caller's emotion in whole calls: a caller growing angrier hears the wording change and
is escalated by the flow's rule; a crisis phrase is transferred at once."""

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


async def test_a_crisis_phrase_transfers_at_once(call: CallRunner) -> None:
    result, record = await call(Scenario("crisis", (Speak(audio("i_want_to_end_my_life")),)))

    assert result.error is None
    (said,) = events(record, "caller_said")
    assert said["transcript"] == "i want to end my life"
    (transfer,) = events(record, "transfer")
    assert (transfer["reason"], transfer["queue"]) == ("crisis", "priority")
    assert "stay on the line" in events(record, "bot_said")[-1]["text"]
