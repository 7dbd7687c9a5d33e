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
    turns = BargeIn(calls)
    turns.replied(Playout("MZ1").mark())
    await turns.speech()
    await turns.keyed()
    assert calls.made == ["speech", "keypad"]


async def test_nothing_interrupts_protected_words_until_their_mark_is_echoed() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    rest = name(turns.replied(playout.mark()))
    await turns.speech()
    assert calls.made == [] and turns.protected
    await turns.heard(notice)
    assert not turns.protected
    await turns.heard(rest)
    await turns.speech()  # the question after the notice may be cut off
    assert calls.made == ["speech"]


async def test_keys_during_protected_words_skip_the_rest_once_those_have_played() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.replied(playout.mark())
    await turns.keyed()  # the engine only buffered the digit: no reply
    assert calls.made == []
    await turns.heard(notice)
    assert calls.made == ["keypad"]


async def test_keys_the_engine_answered_do_not_clear_its_answer() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.replied(playout.mark())
    await turns.keyed()
    turns.replied(playout.mark())  # the last digit completed the slot: a reply is queued
    await turns.heard(notice)
    assert calls.made == []


async def test_an_interruption_forgets_the_protected_marks() -> None:
    calls = Calls()
    turns, playout = BargeIn(calls), Playout("MZ1")
    notice = name(turns.protect(playout.mark()))
    turns.interrupted()  # e.g. a transfer's fault apology cleared the line
    await turns.heard(notice)  # Twilio echoes marks on `clear`
    await turns.speech()
    assert calls.made == ["speech"]
