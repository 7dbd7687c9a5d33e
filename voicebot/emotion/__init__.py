"""Emotion detection per caller turn: words (VADER + call-centre cues), voice (prosody against
the caller's own earlier turns), behaviour, and a crisis detector that bypasses them all.

Pure code: the pipeline measures voice with `VoiceFeaturesProcessor`, the dialogue adapter
feeds each turn to one `EmotionTracker` per call.
"""

from voicebot.emotion.crisis import detect_crisis
from voicebot.emotion.labels import (
    LABELS,
    NEGATIVE,
    EmotionEstimate,
    Label,
    TurnSignals,
    VoiceFeatures,
)
from voicebot.emotion.text import score_text
from voicebot.emotion.tracker import EmotionTracker
from voicebot.emotion.voice import relative_arousal, voice_features

__all__ = [
    "LABELS",
    "NEGATIVE",
    "EmotionEstimate",
    "EmotionTracker",
    "Label",
    "TurnSignals",
    "VoiceFeatures",
    "detect_crisis",
    "relative_arousal",
    "score_text",
    "voice_features",
]
