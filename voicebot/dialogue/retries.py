"""A turn that failed (not understood, or refused by a slot rule): count it, ask again, and
past the node's limit give up to a person."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from voicebot.dialogue.actions import Action, Say
from voicebot.dialogue.nodes import ask_again, give_up
from voicebot.dialogue.state import CallState
from voicebot.language import wording

LOW_CONFIDENCE = 0.5
"""Recognition confidence under which a failed turn counts as the recogniser's doubt."""


def failed_attempt(
    state: CallState,
    outcome: Literal["no_match", "invalid"],
    reprompts: list[str],
    slot: str | None = None,
) -> list[Action]:
    state.no_match += 1
    node = state.current
    if node.collect and state.source == "speech" and state.confidence < LOW_CONFIDENCE:
        state.unsure += 1
    state.record(outcome, slot=slot)
    if state.no_match >= retry_limit(state):
        # Every failed attempt was speech the recogniser was unsure of: the caller may
        # well have answered, so the hand-off says recognition failed, not the caller.
        if node.collect and state.unsure >= state.no_match:
            return give_up(state, "no_match_limit", reason=f"low_confidence:{node.collect}")
        return give_up(state, "no_match_limit")
    return offer_agent(state, ask_again(state, wording.NO_MATCH, state.no_match, reprompts))


def no_input(state: CallState) -> list[Action]:
    """The caller said nothing within the node's timeout."""
    state.source = "silence"
    state.no_input += 1
    state.record("no_input")
    if state.no_input >= retry_limit(state):
        return give_up(state, "no_input_limit")
    return offer_agent(
        state, ask_again(state, wording.NO_INPUT, state.no_input, state.current.no_input_prompts)
    )


def retry_limit(state: CallState) -> int:
    """The node's limit; one less for an impatient caller (the policy offers a human
    sooner), but never below two: one mishearing should not end the conversation."""
    limit = state.current.max_retries
    if state.flow.emotion.offer_agent_sooner and state.mood.impatient:
        return max(min(limit, 2), limit - 1)
    return limit


def offer_agent(state: CallState, actions: list[Action]) -> list[Action]:
    """An impatient caller's reprompt ends by saying a person is one word away."""
    if not (state.flow.emotion.offer_agent_sooner and state.mood.impatient):
        return actions
    return [
        replace(a, text=a.text + wording.OFFER_AGENT) if isinstance(a, Say) and i == 0 else a
        for i, a in enumerate(actions)
    ]
