"""The caller's yes or no to a slot read back ("I heard … Is that right?")."""

from __future__ import annotations

from voicebot.dialogue.actions import Action
from voicebot.dialogue.filling import after_slot
from voicebot.dialogue.nodes import ask_again, give_up
from voicebot.dialogue.state import CallState
from voicebot.language import wording


def confirmed(state: CallState, yes: bool) -> list[Action]:
    name = state.current.collect or ""
    state.record("matched", slot=f"confirm_{name}", value="yes" if yes else "no")
    state.confirming = False
    if yes:
        return after_slot(state, state.slots[name])
    del state.slots[name]
    # A rejected read-back is a failed attempt: without a limit a misheard caller loops.
    state.rejections += 1
    if state.rejections >= state.current.max_retries:
        # The recogniser kept mishearing a required value: say so in the hand-off.
        return give_up(state, "no_match_limit", reason=f"low_confidence:{name}")
    return ask_again(state, wording.RETRY_SLOT)
