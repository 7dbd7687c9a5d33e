"""A caller's turn as it arrives: speech (with its emotion, perhaps understood by the LLM),
a keypad digit (menu choice, yes/no or one key of an entry), or silence."""

from __future__ import annotations

from voicebot.dialogue.acting import act
from voicebot.dialogue.actions import Action, Expectation, Utterance
from voicebot.dialogue.answers import asked_at_menu, question
from voicebot.dialogue.emotion import feel, with_opener
from voicebot.dialogue.evidence import crisis_heard
from voicebot.dialogue.expectations import expect_slot, expectation, keypad
from voicebot.dialogue.retries import no_input
from voicebot.dialogue.state import CallState
from voicebot.dialogue.understanding import (
    Interpretation,
    interpret,
    interpret_open,
    parse_expected,
)
from voicebot.flows.slot_types import ChoiceSlot
from voicebot.privacy import MASK

AGENT_KEY = "0"
"""Reaches a person in every node: at once where keys choose, and while a number is keyed in
as the whole entry (0 then # or a pause), since no keyed value of 0 alone is accepted there."""


def on_speech(state: CallState, utterance: Utterance) -> list[Action]:
    state.source, state.keys = "speech", ""
    state.confidence = utterance.confidence
    state.open_vocabulary = utterance.open_vocabulary
    expect = expectation(state)
    sensitive = expect.slot is not None and expect.slot.sensitive
    state.turns.append(MASK if sensitive else utterance.text)
    if utterance.emotion is not None:
        crisis_or_escalation = feel(state, utterance.emotion, heard=crisis_heard(utterance))
        if crisis_or_escalation:
            return crisis_or_escalation
    return with_opener(state, understand(state, utterance, expect))


def understand(state: CallState, utterance: Utterance, expect: Expectation) -> list[Action]:
    if state.current.kind == "answer" and state.check is None:
        return question(state, utterance.text, expect)
    result = interpretation(state, utterance, expect)
    if result.intent is None and result.slot_value is None and state.check is None:
        answering = asked_at_menu(state, utterance.text)
        if answering is not None:
            return answering
    return act(state, result)


def interpretation(state: CallState, utterance: Utterance, expect: Expectation) -> Interpretation:
    """What the turn means here: a grammar phrase, an open transcript read with the matcher's
    score, or what the LLM understood (checked against the node)."""
    if utterance.intent is None and utterance.slot_text is None:
        if utterance.open_vocabulary:
            return interpret_open(utterance.text, expect, utterance.match, state.today)
        return interpret(utterance.text, expect, state.today)
    # Understood elsewhere (the LLM): trust only what this node could have understood; a
    # hang-up only if the matcher points the same way (a model's guess is no evidence to end
    # the call on).
    if utterance.intent is not None and utterance.intent in expect.intents:
        match = utterance.match
        agrees = match is None or match.candidate == utterance.intent
        return Interpretation(intent=utterance.intent, sure=agrees or utterance.intent != "goodbye")
    if utterance.slot_text is not None and expect.slot is not None:
        return Interpretation(
            slot_value=parse_expected(utterance.slot_text, expect.slot, state.today)
        )
    return Interpretation()


def on_key(state: CallState, digit: str) -> list[Action]:
    state.source, state.confidence = "dtmf", 1.0
    entry = keypad(state)
    if entry is not None and entry.mode == "keys":
        if digit == "*" and not (entry.star_is_point and state.keys):
            state.keys = ""
            return act(state, Interpretation(intent="repeat"))
        if digit.isdigit() or digit == "*":
            state.keys += "." if digit == "*" else digit
            if len(state.keys) < entry.max_keys:
                return []
            state.swallow_hash = True
            return finish_keys(state)
        if digit == "#":
            return finish_keys(state)
    state.turns.append(f"[keypad {digit}]")
    if digit == AGENT_KEY:
        return act(state, Interpretation(intent="agent"))
    if digit == "*":
        return act(state, Interpretation(intent="repeat"))
    node = state.current
    if entry is not None and entry.mode == "yes_no":
        return act(state, Interpretation(slot_value={"1": "yes", "2": "no"}.get(digit)))
    choices = list(node.on or {})
    if isinstance(state.slot_def, ChoiceSlot) and entry is not None:
        choices = list(state.slot_def.options)
    if digit.isdigit() and 1 <= int(digit) <= len(choices):
        choice = choices[int(digit) - 1]
        if node.kind == "menu":
            return act(state, Interpretation(intent=choice))
        return act(state, Interpretation(slot_value=choice))
    return act(state, Interpretation())


def finish_keys(state: CallState) -> list[Action]:
    """The keyed run is complete (#, full length or the caller stopped): parse it."""
    keys, state.keys = state.keys, ""
    slot, entry = state.slot_def, keypad(state)
    assert slot is not None and entry is not None  # only called while keying a slot
    state.turns.append(f"[keypad {MASK if slot.sensitive else keys}]")
    expect = expect_slot(state.current.collect or "", slot)
    text = entry.as_text(keys)
    value = parse_expected(text, expect, state.today) if text is not None else None
    if keys == AGENT_KEY and value is None:
        # 0 on its own is no value of this slot: it is the agent key, here as everywhere.
        return act(state, Interpretation(intent="agent"))
    return act(state, Interpretation(slot_value=value))


def on_no_input(state: CallState) -> list[Action]:
    if state.keys:  # the caller stopped keying: take what was keyed so far
        state.source = "dtmf"
        return finish_keys(state)
    return no_input(state)
