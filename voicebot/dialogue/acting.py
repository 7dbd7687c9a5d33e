"""What an understood caller turn makes the bot do: an intent follows the node's route, a
command or a global command; a slot value is confirmed or filled; nothing is a failed try."""

from __future__ import annotations

from voicebot.dialogue.actions import Action
from voicebot.dialogue.commands import command, end_reason
from voicebot.dialogue.confirmation import confirmed
from voicebot.dialogue.filling import validate
from voicebot.dialogue.nodes import enter
from voicebot.dialogue.retries import failed_attempt
from voicebot.dialogue.state import CallState
from voicebot.dialogue.understanding import Interpretation


def act(state: CallState, result: Interpretation) -> list[Action]:
    node = state.current
    if result.intent is not None:
        state.record("matched", intent=result.intent)
        state.no_match = state.no_input = state.unsure = 0
        if node.on and result.intent in node.on:
            state.intent = result.intent
            return enter(state, node.on[result.intent])
        if result.intent in node.commands:
            return enter(state, node.commands[result.intent], reason=end_reason(result.intent))
        return command(state, result.intent)
    if result.slot_value is not None:
        # Counters reset once the value passes its rules (`filled`), not before: a value
        # the rules refuse is a failed attempt like a no-match.
        state.no_input = 0
        if state.confirming:
            state.no_match = 0
            return confirmed(state, result.slot_value == "yes")
        return validate(state, result.slot_value, 0)
    return failed_attempt(state, "no_match", node.reprompts)
