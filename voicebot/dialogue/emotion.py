"""What the caller's emotion does to the call: each speech turn's estimate is kept for
conditions and the hand-off, and a crisis or the flow's escalation rule ends in a transfer."""

from __future__ import annotations

from voicebot.dialogue.actions import Action, Say
from voicebot.dialogue.evidence import ask_check
from voicebot.dialogue.handoff import transfer
from voicebot.dialogue.replies import say
from voicebot.dialogue.state import CallState
from voicebot.flows.emotion_policy import Estimate
from voicebot.language import wording


def feel(state: CallState, estimate: Estimate, heard: bool = True) -> list[Action]:
    """Take the turn's emotion; the crisis route or an escalation transfer if it calls
    for one (before anything the caller said is acted on). `heard`: the turn is evidence
    enough for the crisis route; if not, the bot offers a person first."""
    state.emotion_history.append(
        {
            "node": state.node,
            "label": estimate.label,
            "intensity": round(estimate.intensity, 2),
            "score": round(estimate.score, 2),
        }
    )
    state.call_facts.update(
        emotion=estimate.label,
        emotion_intensity=estimate.intensity,
        emotion_score=estimate.score,
    )
    rule = state.mood.observe(estimate)
    if estimate.crisis:
        if not heard:
            return ask_check(state, "crisis")
        return crisis(state)
    if rule is not None:
        state.record("matched", intent="emotion_escalation")
        return [say(state, rule.say), transfer(state, rule.queue, "emotion_escalation")]
    return []


def crisis(state: CallState) -> list[Action]:
    """The flow's crisis words and the transfer to its crisis queue."""
    route = state.flow.emotion.crisis
    queue = route.queue if route is not None else state.flow.default_queue
    words = route.say if route is not None else wording.CRISIS
    state.record("matched", intent="crisis")
    return [Say(words, style="anxious"), transfer(state, queue, "crisis")]


def with_opener(state: CallState, actions: list[Action]) -> list[Action]:
    """A reply to an upset caller opens with the policy's acknowledgement ("I'm sorry…")."""
    opener = state.mood.opener() if any(isinstance(a, Say) for a in actions) else None
    if opener is not None and state.ended is None:
        actions.insert(0, say(state, opener))
    return actions
