"""Barge-in in whole calls: a "mm hmm" or a cough over the greeting does not cut it off and is
no caller turn; words do cut it off, long ones as soon as the VAD has heard enough of them."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CallRunner, audio, events
from voicebot.tools.simulator.scenario import BargeIn, HangUp, Scenario

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sound", ["mm_hmm", "cough"])
async def test_a_backchannel_or_cough_over_the_greeting_changes_nothing(
    call: CallRunner, sound: str
) -> None:
    result, record = await call(Scenario(sound, (BargeIn(audio(sound), 1000), HangUp())))

    assert result.error is None
    assert result.clears == 0
    assert events(record, "barge_in") == []
    assert events(record, "caller_said") == []  # no turn: no "sorry, I didn't catch that"
    (greeting,) = events(record, "bot_said")
    assert greeting["text"].startswith("Thanks for calling Acme Energy")


async def test_a_long_phrase_cuts_the_greeting_off_before_its_transcript(
    call: CallRunner,
) -> None:
    # Off the menu's grammar, so its transcript is empty: only its length can stop the bot.
    scenario = Scenario("long_phrase", (BargeIn(audio("out_of_grammar"), 1000), HangUp()))
    result, record = await call(scenario)

    assert result.error is None
    assert result.clears >= 1
    assert [e["by"] for e in events(record, "barge_in")] == ["speech"]
    barge = result.turns[0].barge_in_ms
    # Cut off while the caller was still speaking (the phrase lasts about 2 s).
    assert barge is not None and barge < 1500, barge
    (turn,) = events(record, "caller_said")
    assert turn["outcome"] == "no_match"  # a real turn the bot did not understand: it re-asks
