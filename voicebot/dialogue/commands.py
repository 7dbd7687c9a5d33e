"""The global commands a caller can say in any node: repeat, help, start over, agent,
goodbye (a flow's own `agent`/`goodbye` node takes over where it has one)."""

from __future__ import annotations

from voicebot.dialogue.actions import Action, EndCall, Listen, Say
from voicebot.dialogue.expectations import expectation, keypad
from voicebot.dialogue.handoff import transfer
from voicebot.dialogue.nodes import enter
from voicebot.dialogue.replies import prompt, say
from voicebot.dialogue.state import CallState, phrases_of
from voicebot.language import wording

_END_REASONS = {"agent": "caller_asked_for_agent", "goodbye": "caller_said_goodbye"}


def command(state: CallState, intent: str) -> list[Action]:
    node = state.current
    if intent == "repeat":
        return [*state.last_said, Listen(expectation(state))]
    if intent == "help":
        help_text = say(state, node.help) if node.help else default_help(state)
        return [help_text, Listen(expectation(state))]
    if intent == "start_over":
        state.slots.clear()
        state.intent = None
        return enter(state, state.flow.start_node)
    if intent == "agent":
        if "agent" in state.flow.nodes:
            return enter(state, "agent", reason="caller_asked_for_agent")
        return [
            say(state, wording.TRANSFER_TO_AGENT),
            transfer(state, state.flow.default_queue, "caller_asked_for_agent"),
        ]
    if "goodbye" in state.flow.nodes:
        return enter(state, "goodbye", reason="caller_said_goodbye")
    state.ended = "caller_said_goodbye"
    return [say(state, wording.GOODBYE), EndCall(state.ended)]


def end_reason(intent: str) -> str | None:
    """How the call ends when a node's own `commands` route takes `intent` (agent, goodbye)."""
    return _END_REASONS.get(intent)


def default_help(state: CallState) -> Say:
    node = state.current
    if node.kind == "menu":
        choices = [phrases_of(state.flow, intent)[0] for intent in node.on or {}]
        return say(state, wording.menu_help(choices))
    hint = wording.KEYPAD_HINT if keypad(state) is not None else ""
    return say(state, prompt(state) + hint + wording.OFFER_AGENT)
