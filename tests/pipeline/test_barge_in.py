"""Barge-in decisions for one call, with the dialogue's own marks (no pipeline)."""

from __future__ import annotations

from pipecat.frames.frames import OutputTransportMessageFrame

from voicebot.pipeline.barge_in import BargeIn
from voicebot.pipeline.playout import Playout


class Calls:
    """Records each interruption the BargeIn asks for."""

    def __init__(self) -> None:
        self.made: list[str] = []

    async def __call__(self, how: str) -> None:
        self.made.append(how)


def name(mark: OutputTransportMessageFrame) -> str:
    assert isinstance(mark.message, dict)
    return str(mark.message["mark"]["name"])


async def test_speech_and_keys_interrupt_an_ordinary_reply() -> None:
    calls = Calls()
    turns = BargeIn(calls, lambda: True)
    turns.replied(Playout("MZ1").mark())
    turns.speech()
    await turns.sustained()
    await turns.keyed()
    assert calls.made == ["speech", "keypad"]


async def test_nothing_interrupts_protected_words_until_their_mark_is_echoed() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls, lambda: True), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    rest = name(turns.replied(playout.mark()))
    turns.speech()
    await turns.sustained()
    assert await turns.caller_turn("agent")  # heard, answered after the notice
    assert calls.made == [] and turns.protected
    await turns.heard(notice)
    assert not turns.protected
    await turns.heard(rest)
    turns.speech()
    await turns.sustained()  # the question after the notice may be cut off
    assert calls.made == ["speech"]


async def test_keys_during_protected_words_skip_the_rest_once_those_have_played() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls, lambda: True), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.replied(playout.mark())
    await turns.keyed()  # the engine only buffered the digit: no reply
    assert calls.made == []
    await turns.heard(notice)
    assert calls.made == ["keypad"]


async def test_keys_the_engine_answered_do_not_clear_its_answer() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls, lambda: True), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.replied(playout.mark())
    await turns.keyed()
    turns.replied(playout.mark())  # the last digit completed the slot: a reply is queued
    await turns.heard(notice)
    assert calls.made == []


async def test_an_interruption_forgets_the_protected_marks() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls, lambda: True), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.interrupted()  # e.g. a transfer's fault apology cleared the line
    await turns.heard(notice)  # Twilio echoes marks on `clear`
    turns.speech()
    assert await turns.caller_turn("no")
    assert calls.made == ["speech"]


async def test_a_backchannel_over_the_bot_is_no_turn_and_cuts_nothing() -> None:
    calls = Calls()
    turns = BargeIn(calls, lambda: True)
    for sound in ("", "mm-hmm", "Mhmm.", "uh huh", "hmm"):
        turns.speech()
        assert not await turns.caller_turn(sound), sound
    assert calls.made == []


async def test_a_short_word_over_the_bot_cuts_it_off_when_its_transcript_comes() -> None:
    calls = Calls()
    turns = BargeIn(calls, lambda: True)
    turns.speech()
    assert calls.made == []  # not yet known to be words
    assert await turns.caller_turn("no")
    assert calls.made == ["speech"]


async def test_long_speech_cuts_the_bot_off_before_its_transcript() -> None:
    calls = Calls()
    turns = BargeIn(calls, lambda: True)
    turns.speech()
    await turns.sustained()
    assert calls.made == ["speech"]
    # Its transcript is the caller's turn even if nothing was understood (the bot re-asks).
    assert await turns.caller_turn("")
    assert calls.made == ["speech"]


async def test_speech_while_the_bot_is_quiet_is_always_a_turn() -> None:
    calls = Calls()
    turns = BargeIn(calls, lambda: False)
    turns.speech()
    await turns.sustained()
    assert await turns.caller_turn("mm hmm")
    assert calls.made == []
