"""The VAD stage in a pipecat pipeline: where a turn ends follows what the node expects (a
digit string said in groups is one turn, a "yes" still ends quickly), and a long turn is
announced as sustained speech while a cough is not."""

from __future__ import annotations

from pathlib import Path

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import run_test

from tests.conftest import DEMO_AUDIO, REPO
from voicebot.audio.codec import TELEPHONE_RATE, ulaw_decode
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.flows.slot_types import SlotType
from voicebot.speech.frames import ExpectationFrame, SustainedSpeechFrame
from voicebot.speech.turn_vad import TurnVADProcessor
from voicebot.speech.webrtc_vad import (
    DICTATION_STOP_SECS,
    WebRTCVADAnalyzer,
    telephone_vad_params,
    turn_vad_params,
)
from voicebot.tools.simulator.caller import ULAW_SILENCE, load_utterance

SYNTH = REPO / "audio_fixtures" / "synth"
ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8),
)
YES_NO = Expectation(node="confirm", slot=SlotExpectation("confirmed", "yes_no"))
MENU = Expectation(node="greet", intents={"agent": ("agent",)})


def audio(path: Path) -> list[bytes]:
    """The recording as the caller simulator sends it: 20 ms μ-law frames."""
    return load_utterance(path)


def pause(secs: float) -> list[bytes]:
    return [ULAW_SILENCE] * round(secs / 0.02)


async def vad_frames(
    expect: Expectation, ulaw: list[bytes], held: frozenset[SlotType] = frozenset()
) -> list[Frame]:
    """What the VAD stage sends downstream for this caller audio once the node expects
    `expect` (the recogniser passes the dialogue's `ExpectationFrame` upstream to it)."""
    frames: list[Frame] = [ExpectationFrame(expect=expect)]
    ulaw = pause(0.5) + ulaw  # line silence first, as on a call (the VAD levels settle)
    frames += [InputAudioRawFrame(ulaw_decode(f), TELEPHONE_RATE, 1) for f in ulaw]
    analyzer = WebRTCVADAnalyzer()
    processor = TurnVADProcessor(vad_analyzer=analyzer, held=held, audio_idle_timeout=0)
    params = PipelineParams(audio_in_sample_rate=TELEPHONE_RATE)
    down, up = await run_test(processor, frames_to_send=frames, pipeline_params=params)
    assert not any(isinstance(f, ExpectationFrame) for f in (*down, *up))  # consumed
    return [f for f in down if not isinstance(f, InputAudioRawFrame)]


def kinds(frames: list[Frame]) -> list[type[Frame]]:
    return [type(f) for f in frames if isinstance(f, (VADUserStartedSpeakingFrame,
                                                      VADUserStoppedSpeakingFrame))]  # fmt: skip


def test_dictated_slots_wait_longer_than_yes_no_and_menus() -> None:
    assert turn_vad_params(ACCOUNT).stop_secs == DICTATION_STOP_SECS == 0.8
    assert turn_vad_params(ACCOUNT, held=frozenset({"digits"})).stop_secs == 0.3
    for short in (YES_NO, MENU, None):
        assert turn_vad_params(short) == telephone_vad_params()
        assert turn_vad_params(short).stop_secs == 0.3


async def test_digit_groups_half_a_second_apart_are_one_turn() -> None:
    groups = audio(SYNTH / "four_four_one_two-94d256eef16565b8.wav") + pause(0.5)
    groups += audio(SYNTH / "one_two_three_four-b9cc0ce1b72f2eb5.wav") + pause(1.2)

    one_turn = kinds(await vad_frames(ACCOUNT, groups))
    assert one_turn == [VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame]
    # With a menu's wait the same audio would be two turns: the pause is what differs.
    two_turns = kinds(await vad_frames(MENU, groups))
    assert two_turns == [VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame] * 2
    # Where the recogniser holds an unfinished number itself (pocketsphinx), the VAD keeps
    # the short wait: a complete number is answered sooner, a partial one waits there.
    held = kinds(await vad_frames(ACCOUNT, groups, held=frozenset({"digits"})))
    assert held == two_turns


async def test_a_yes_still_ends_after_the_short_pause() -> None:
    # 0.5 s of quiet after "yes": enough for the yes/no wait, not for the digits' one.
    yes = audio(DEMO_AUDIO / "yes.wav") + pause(0.5)
    assert kinds(await vad_frames(YES_NO, yes)) == [
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    ]
    assert kinds(await vad_frames(ACCOUNT, yes)) == [VADUserStartedSpeakingFrame]


async def test_a_phrase_is_sustained_speech_and_a_cough_is_not() -> None:
    phrase = await vad_frames(MENU, audio(DEMO_AUDIO / "check_my_balance.wav") + pause(0.5))
    assert sum(isinstance(f, SustainedSpeechFrame) for f in phrase) == 1
    cough = await vad_frames(MENU, audio(DEMO_AUDIO / "cough.wav") + pause(0.5))
    assert VADUserStartedSpeakingFrame in kinds(cough)  # the VAD heard it start a turn…
    assert not any(isinstance(f, SustainedSpeechFrame) for f in cough)  # …but not words
