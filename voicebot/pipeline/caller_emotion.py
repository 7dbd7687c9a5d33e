"""The caller's emotion for each turn, from its words, the voice of the turn (the latest
`VoiceFeaturesFrame`) and how the call is going (no-match, silence, barge-in, pressing 0)."""

from __future__ import annotations

from voicebot.dialogue.state import TurnRecord
from voicebot.emotion import EmotionEstimate, EmotionTracker, TurnSignals, VoiceFeatures
from voicebot.flows.emotion_policy import Estimate


class CallerEmotion:
    """One per call: collects the turn's signals as they happen, estimates at the transcript."""

    def __init__(self) -> None:
        self._tracker = EmotionTracker()
        self._voice: VoiceFeatures | None = None
        self._barged_in = self._pressed_zero = False

    def voice(self, features: VoiceFeatures | None) -> None:
        """The latest turn's voice; read with its transcript."""
        self._voice = features

    def barged_in(self) -> None:
        self._barged_in = True

    def keyed(self, digit: str) -> None:
        self._pressed_zero = self._pressed_zero or digit == "0"

    def feel(self, text: str, last_turn: TurnRecord | None) -> EmotionEstimate:
        """This turn's emotion from its words, voice and the call's behaviour so far."""
        signals = TurnSignals(
            no_match=last_turn is not None and last_turn.outcome == "no_match",
            no_input=last_turn is not None and last_turn.outcome == "no_input",
            pressed_zero=self._pressed_zero,
            barged_in=self._barged_in,
        )
        estimate = self._tracker.observe(text, self._voice, signals)
        self._voice, self._barged_in, self._pressed_zero = None, False, False
        return estimate


def for_engine(estimate: EmotionEstimate) -> Estimate:
    """The estimate as the dialogue engine's emotion policy takes it."""
    return Estimate(estimate.label, estimate.intensity, estimate.score, estimate.crisis)
