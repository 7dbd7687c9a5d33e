"""Decoding during the end-of-turn wait, on the VAD's side: it announces the caller's pause
part-way through the wait and their going on, and ends the turn at once when the recogniser
says the transcript is complete; the early decode is used only for the audio it decoded."""

from __future__ import annotations

import asyncio

import pytest
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import run_test

from tests.conftest import DEMO_AUDIO
from tests.speech.test_turn_vad import ACCOUNT, MENU, SYNTH, YES_NO, audio, pause
from voicebot.audio.codec import TELEPHONE_RATE, ulaw_decode
from voicebot.dialogue.actions import Expectation
from voicebot.speech.early_decode import (
    CallerPausedFrame,
    CallerResumedFrame,
    EarlyDecode,
    EndTurnFrame,
    completes,
    pause_secs,
)
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.turn_vad import TurnVADProcessor
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer

TURN_FRAMES = (
    VADUserStartedSpeakingFrame,
    CallerPausedFrame,
    CallerResumedFrame,
    VADUserStoppedSpeakingFrame,
)


async def early_vad(expect: Expectation, sent: list[bytes | Frame]) -> list[type[Frame]]:
    return [type(f) for f in await early_vad_frames(expect, sent)]


async def early_vad_frames(expect: Expectation, sent: list[bytes | Frame]) -> list[Frame]:
    """The turn frames the VAD sends for `sent` (20 ms μ-law frames, and frames as they come
    to it), with early decoding on."""
    frames: list[Frame] = [ExpectationFrame(expect=expect)]
    for item in [*pause(0.5), *sent]:
        if isinstance(item, bytes):
            frames.append(InputAudioRawFrame(ulaw_decode(item), TELEPHONE_RATE, 1))
        else:
            frames.append(item)
    processor = TurnVADProcessor(
        vad_analyzer=WebRTCVADAnalyzer(), early_decode=True, audio_idle_timeout=0
    )
    params = PipelineParams(audio_in_sample_rate=TELEPHONE_RATE)
    down, _ = await run_test(processor, frames_to_send=frames, pipeline_params=params)
    return [f for f in down if isinstance(f, TURN_FRAMES)]


def test_the_pause_is_announced_a_third_into_the_wait_and_never_after_0_3_s() -> None:
    assert pause_secs(0.3) == pytest.approx(0.1)
    assert pause_secs(0.8) == pytest.approx(0.8 / 3)
    assert pause_secs(1.5) == 0.3  # never later than 0.3 s


async def test_a_pause_the_caller_goes_on_after_is_announced_and_so_is_their_going_on() -> None:
    groups = audio(SYNTH / "four_four_one_two-94d256eef16565b8.wav") + pause(0.5)
    groups += audio(SYNTH / "one_two_three_four-b9cc0ce1b72f2eb5.wav") + pause(1.2)
    assert await early_vad(ACCOUNT, list(groups)) == [
        VADUserStartedSpeakingFrame,
        CallerPausedFrame,  # 0.3 s into the half-second pause between the groups
        CallerResumedFrame,
        CallerPausedFrame,
        VADUserStoppedSpeakingFrame,
    ]


async def test_a_complete_transcript_ends_the_turn_without_the_dictation_wait() -> None:
    yes = audio(DEMO_AUDIO / "yes.wav")
    # 0.5 s of quiet: a digits node's 0.8 s wait has not ended the turn…
    assert await early_vad(ACCOUNT, [*yes, *pause(0.5)]) == [
        VADUserStartedSpeakingFrame,
        CallerPausedFrame,
    ]
    # …but once the recogniser says the turn is complete, the next window ends it.
    ended = await early_vad_frames(ACCOUNT, [*yes, *pause(0.4), EndTurnFrame(), *pause(0.1)])
    assert [type(f) for f in ended] == [
        VADUserStartedSpeakingFrame,
        CallerPausedFrame,
        VADUserStoppedSpeakingFrame,
    ]
    # The stop says how long the caller was really quiet (the metrics date their last speech
    # from it): the 0.4 s before the request and one window, not the 0.8 s wait.
    stop = ended[-1]
    assert isinstance(stop, VADUserStoppedSpeakingFrame)
    assert 0.35 <= stop.stop_secs <= 0.5
    normal = (await early_vad_frames(YES_NO, [*yes, *pause(0.5)]))[-1]
    assert isinstance(normal, VADUserStoppedSpeakingFrame)
    assert normal.stop_secs == pytest.approx(0.3)


async def test_an_end_of_turn_request_while_the_caller_speaks_changes_nothing() -> None:
    phrase = audio(DEMO_AUDIO / "check_my_balance.wav")
    half = len(phrase) // 2
    sent: list[bytes | Frame] = [*phrase[:half], EndTurnFrame(), *phrase[half:], *pause(0.5)]
    assert await early_vad(MENU, sent) == [
        VADUserStartedSpeakingFrame,
        CallerPausedFrame,
        VADUserStoppedSpeakingFrame,
    ]


def test_only_a_full_length_digit_string_completes_a_digits_node() -> None:
    assert completes("2 3 4 5 3 5 8 3", ACCOUNT)
    assert completes("my account is two three four five, three five eight three", ACCOUNT)
    assert not completes("2 3 4 5", ACCOUNT)  # the caller may go on
    assert not completes("I don't know it", ACCOUNT)
    assert not completes("yes", YES_NO)  # only digit strings end a turn early
    assert not completes("agent", MENU)


async def test_the_early_decode_stands_only_for_its_own_audio_plus_quiet() -> None:
    decoded: list[bytes] = []

    async def decode(pcm: bytes) -> int:
        decoded.append(pcm)
        return len(pcm)

    early: EarlyDecode[int] = EarlyDecode()
    assert early.start(b"speech", ACCOUNT, decode) is not None
    assert early.start(b"speech more", ACCOUNT, decode) is None  # one per pause
    task = early.take(b"speech\0\0\0\0", ACCOUNT)  # the same audio, then quiet
    assert task is not None and await task == len(b"speech")
    assert early.take(b"speech\0\0", ACCOUNT) is None  # taken once

    early.start(b"speech", ACCOUNT, decode)
    assert early.take(b"other speech", ACCOUNT) is None  # not this turn's audio
    early.start(b"speech", ACCOUNT, decode)
    assert early.take(b"speech", MENU) is None  # the node changed meanwhile
    cancelled = early.start(b"speech", ACCOUNT, decode)
    early.drop()  # the caller went on
    assert cancelled is not None
    await asyncio.sleep(0)
    assert cancelled.cancelled() and early.take(b"speech", ACCOUNT) is None
