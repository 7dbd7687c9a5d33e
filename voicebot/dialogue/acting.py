"""What an understood caller turn makes the bot do: an intent follows the node's route, a
command or a global command; a slot value is confirmed or filled; nothing is a failed try."""

from __future__ import annotations

from voicebot.dialogue.actions import Action
from voicebot.dialogue.commands import command, end_reason
from voicebot.dialogue.confirmation import confirmed
from voicebot.dialogue.emotion import crisis
from voicebot.dialogue.evidence import ask_check, needs_check
from voicebot.dialogue.filling import validate
from voicebot.dialogue.nodes import ask_again, enter
from voicebot.dialogue.retries import failed_attempt
from voicebot.dialogue.state import CallState
from voicebot.dialogue.understanding import Interpretation
from voicebot.language import wording


def act(state: CallState, result: Interpretation) -> list[Action]:
    node = state.current
    if state.check is not None:
        asked, state.check = state.check, None
        if result.intent is None and result.slot_value in ("yes", "no"):
            return checked(state, asked, result.slot_value == "yes")
        # Anything else: the caller moved on; take the turn as it is.
    if result.intent is not None and needs_check(state, result):
        return ask_check(state, result.intent)
    if result.intent is not None:
        return follow(state, result.intent)
    if result.slot_value is not None:
        # Counters reset once the value passes its rules (`filled`), not before: a value
        # the rules refuse is a failed attempt like a no-match.
        state.no_input = 0
        if state.confirming:
            state.no_match = 0
            return confirmed(state, result.slot_value == "yes")
        return validate(state, result.slot_value, 0)
    return failed_attempt(state, "no_match", node.reprompts)


def follow(state: CallState, intent: str) -> list[Action]:
    """Where an intent leads: the node's route, its own command route, or the command."""
    node = state.current
    state.record("matched", intent=intent)
    state.no_match = state.no_input = state.unsure = 0
    if node.on and intent in node.on:
        state.intent = intent
        return enter(state, node.on[intent])
    if intent in node.commands:
        return enter(state, node.commands[intent], reason=end_reason(intent))
    return command(state, intent)


def checked(state: CallState, asked: str, yes: bool) -> list[Action]:
    """The caller's yes or no to "Did you want to …?": yes carries the move out."""
    state.record("matched", intent=f"check:{asked}", value="yes" if yes else "no")
    if not yes:
        return ask_again(state, wording.CHECK_DECLINED)
    if asked == "crisis":
        return crisis(state)
    return follow(state, asked)
