"""The engine's side of a transfer: the `Transfer` action and the hand-off packet it carries
(where the caller was, what they wanted, the slots masked, recent turns, their emotion)."""

from __future__ import annotations

from voicebot.dialogue.actions import Transfer
from voicebot.dialogue.state import CallState


def transfer(state: CallState, queue: str, reason: str) -> Transfer:
    """End the call by handing it to `queue`; `reason` goes to the record and the agent."""
    state.ended = reason
    handoff: dict[str, object] = {
        "call_sid": state.call_sid,
        "node": state.caller_node,
        "intent": state.intent,
        "slots": state.masked_slots(),
        "reason": reason,
        "recent_turns": list(state.turns),
        "emotion": list(state.emotion_history),
    }
    return Transfer(queue=queue, reason=reason, handoff=handoff)
