"""Prosody from telephone audio (espeak-ng at known pitch, rate and level) and bad audio."""

from __future__ import annotations

import numpy as np
import pytest

from tests.emotion.audio import spoken
from voicebot.emotion import EmotionTracker, VoiceFeatures, relative_arousal, voice_features

SENTENCE = "I would like to check the balance on my account please"


def _features(**delivery: float) -> VoiceFeatures:
    features = voice_features(spoken(SENTENCE, **delivery))  # type: ignore[arg-type]
    assert features is not None
    return features


def test_features_of_ordinary_speech_are_plausible() -> None:
    features = _features()
    assert -40 < features.loudness_db < -10
    assert features.pitch_hz is not None and 70 < features.pitch_hz < 160  # male en-us voice
    assert features.pitch_range_st is not None and features.pitch_range_st > 0
    assert features.speech_rate is not None and 2 < features.speech_rate < 8
    assert features.voiced_s > 1.0


def test_each_feature_follows_its_own_delivery_change() -> None:
    calm = _features()
    louder = _features(peak_db=-2.0)
    higher = _features(pitch=80)
    faster = _features(rate=240)
    assert louder.loudness_db - calm.loudness_db > 6
    assert higher.pitch_hz and calm.pitch_hz and higher.pitch_hz > calm.pitch_hz * 1.2
    assert faster.speech_rate and calm.speech_rate and faster.speech_rate > calm.speech_rate
    assert abs(higher.loudness_db - calm.loudness_db) < 3


def test_a_female_voice_measures_higher() -> None:
    female = voice_features(spoken(SENTENCE, voice="en-us+f3"))
    male = _features()
    assert female and female.pitch_hz and male.pitch_hz
    assert female.pitch_hz > 1.5 * male.pitch_hz


def test_raised_is_relative_to_the_same_caller() -> None:
    baseline = [_features(), voice_features(spoken("my account number is two three four"))]
    raised = _features(rate=210, pitch=70, peak_db=-3.0)
    moved = relative_arousal(raised, [b for b in baseline if b])
    assert moved is not None
    arousal, cues = moved
    assert arousal > 0.5
    assert {"louder", "higher_pitch"} <= set(cues)
    # The same delivery is nothing special for a caller who always speaks like that.
    assert relative_arousal(raised, [raised, raised]) == (0.0, ())
    assert relative_arousal(raised, []) is None


def test_a_raised_voice_turns_plain_words_frustrated_and_strengthens_angry_ones() -> None:
    def observe(text: str, **delivery: float) -> tuple[str, float]:
        tracker = EmotionTracker()
        tracker.observe("hello", voice_features(spoken("hello I'm calling about my account")))
        estimate = tracker.observe(text, voice_features(spoken(text, **delivery)))  # type: ignore[arg-type]
        assert estimate.arousal is not None
        return estimate.label, estimate.intensity

    assert observe("I need to update my address")[0] == "neutral"
    label, _ = observe("I need to update my address", rate=210, pitch=70, peak_db=-3.0)
    assert label == "frustrated"
    calm_label, calm = observe("this is unacceptable")
    raised_label, raised = observe("this is unacceptable", rate=210, pitch=70, peak_db=-3.0)
    assert calm_label == raised_label == "angry"
    assert raised > calm


def _pcm(samples: np.ndarray) -> bytes:
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


@pytest.mark.parametrize(
    "pcm",
    [
        b"",
        b"\x01",
        bytes(16000),  # one second of digital silence
        _pcm(np.random.default_rng(1).normal(0, 30, 8000)),  # faint line hiss
        _pcm(np.r_[np.zeros(4000), np.full(40, 20000), np.zeros(4000)]),  # a click
    ],
    ids=["empty", "one_byte", "silence", "hiss", "click"],
)
def test_too_little_speech_gives_none(pcm: bytes) -> None:
    assert voice_features(pcm) is None


def test_clipped_audio_and_odd_lengths_do_not_raise() -> None:
    speech = np.frombuffer(spoken(SENTENCE), dtype="<i2").astype(np.float64)
    clipped = _pcm(np.clip(speech * 20, -32768, 32767))
    features = voice_features(clipped + b"\x07")
    assert features is not None
    assert features.loudness_db > -10  # far above ordinary speech (-20 to -30)


def test_silence_only_turn_is_neutral_with_low_confidence() -> None:
    estimate = EmotionTracker().observe("", voice_features(bytes(16000)))
    assert estimate.label == "neutral"
    assert estimate.confidence < 0.5
