"""Risky moves need evidence. The crisis route needs the crisis words in an open-vocabulary
transcript heard with confidence; hanging up, or leaving the node on a match the matcher was
not sure of, needs a sure match. With less, the bot asks first ("Do you want to end the
call?") and the caller's yes or no decides (`acting.act`)."""

from __future__ import annotations

from voicebot.dialogue.actions import Action, Listen, Utterance
from voicebot.dialogue.expectations import expectation
from voicebot.dialogue.replies import prompt, say
from voicebot.dialogue.state import CallState
from voicebot.dialogue.understanding import Interpretation

CRISIS_MIN_CONFIDENCE = 0.6
"""Whisper's turn confidence (exp of the mean token log-prob) from which crisis words in the
transcript send the call straight to the crisis queue; below it the bot offers a person.
Measured: misheard telephone speech that happened to contain a crisis word ("weapon, my
balance?" for "what is my balance") came at 0.59."""
HANGUP_MIN_CONFIDENCE = 0.5
"""An open-vocabulary goodbye heard less surely than this is checked before hanging up."""
GRAMMAR_HANGUP_CONFIDENCE = 0.8
"""A grammar decode is the nearest phrase, not what was said ("bye bye" was decoded from
off-topic speech): its goodbye below this confidence is checked."""
HARMLESS = ("repeat", "help")
"""Commands that neither leave the node nor end the call: never worth a check."""


def crisis_heard(utterance: Utterance) -> bool:
    """Whether the turn is evidence enough for the crisis route without asking: an
    open-vocabulary transcript, heard with confidence, that is not a sure answer to the node
    (crisis words in a misheard menu choice are a mishearing until the caller says yes)."""
    if not utterance.open_vocabulary or utterance.confidence < CRISIS_MIN_CONFIDENCE:
        return False
    return utterance.match is None or not utterance.match.sure


def needs_check(state: CallState, result: Interpretation) -> bool:
    """Whether acting on `result.intent` needs the caller's yes first."""
    intent = result.intent
    if intent is None or state.source != "speech" or intent in HARMLESS:
        return False
    if not state.open_vocabulary:
        # Grammar decodes keep their path, except a hang-up on a doubtful decode.
        return intent == "goodbye" and state.confidence < GRAMMAR_HANGUP_CONFIDENCE
    if intent == "goodbye":
        return not result.sure or state.confidence < HANGUP_MIN_CONFIDENCE
    return not result.sure


def ask_check(state: CallState, intent: str) -> list[Action]:
    """Ask whether the caller meant `intent` (for "crisis": whether they want a person)."""
    state.check = intent
    state.record("matched", intent=f"check:{intent}")
    question = say(state, prompt(state))
    state.last_said = (question,)
    return [question, Listen(expectation(state))]
