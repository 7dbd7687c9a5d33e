"""VoiceFeaturesProcessor in a pipecat pipeline: one features frame per turn, before the stop."""

from __future__ import annotations

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import run_test

from tests.emotion.audio import spoken
from voicebot.emotion import voice_features
from voicebot.pipeline.voice_features import VoiceFeaturesFrame, VoiceFeaturesProcessor

CHUNK = 320  # 20 ms of 8 kHz PCM16, as the transport delivers it
START_AFTER = 10  # the VAD declares a start after 0.2 s of speech


def _chunks(pcm: bytes) -> list[Frame]:
    return [
        InputAudioRawFrame(audio=pcm[i : i + CHUNK], sample_rate=8000, num_channels=1)
        for i in range(0, len(pcm), CHUNK)
    ]


def _turn(pcm: bytes) -> list[Frame]:
    audio = _chunks(pcm)
    return [
        *audio[:START_AFTER],
        VADUserStartedSpeakingFrame(),
        *audio[START_AFTER:],
        VADUserStoppedSpeakingFrame(),
    ]


async def test_one_features_frame_per_turn_just_before_the_stop() -> None:
    pcm = spoken("I would like to check the balance on my account please")
    frames = [*_chunks(bytes(3200)), *_turn(pcm), *_turn(bytes(8000))]
    down, _ = await run_test(VoiceFeaturesProcessor(), frames_to_send=frames)

    kinds = [type(f) for f in down]
    assert kinds.count(VoiceFeaturesFrame) == 2
    assert kinds.count(InputAudioRawFrame) == sum(isinstance(f, InputAudioRawFrame) for f in frames)
    stops = [i for i, k in enumerate(kinds) if k is VADUserStoppedSpeakingFrame]
    assert all(kinds[i - 1] is VoiceFeaturesFrame for i in stops)

    speech, silence = [f for f in down if isinstance(f, VoiceFeaturesFrame)]
    whole = voice_features(pcm)
    assert speech.features is not None and whole is not None
    # The pre-roll keeps the onset the VAD needed before it declared the start.
    assert abs(speech.features.voiced_s - whole.voiced_s) <= 0.1
    assert silence.features is None


async def test_a_stop_without_a_start_adds_nothing() -> None:
    down, _ = await run_test(
        VoiceFeaturesProcessor(),
        frames_to_send=[*_chunks(bytes(3200)), VADUserStoppedSpeakingFrame()],
    )
    assert not any(isinstance(f, VoiceFeaturesFrame) for f in down)


async def test_vad_frames_travelling_upstream_are_ignored() -> None:
    down, up = await run_test(
        VoiceFeaturesProcessor(),
        frames_to_send=[VADUserStartedSpeakingFrame(), VADUserStoppedSpeakingFrame()],
        frames_to_send_direction=FrameDirection.UPSTREAM,
    )
    assert VADUserStoppedSpeakingFrame in [type(f) for f in up]
    assert not any(isinstance(f, VoiceFeaturesFrame) for f in [*down, *up])
