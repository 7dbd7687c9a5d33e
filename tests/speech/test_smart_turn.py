"""Smart Turn (the real v3.2 model from pipecat's wheel) in the VAD stage: a finished phrase
ends its turn before the fixed wait is out, a phrase with a mid-sentence pause stays one
turn, and a model that cannot load or run leaves the fixed wait in place.

The audio is paced so the model's verdict arrives inside the caller's pause: the frames stop
for a moment (`SleepFrame`) once the pause has begun, as if inference were instant, so no
assertion depends on how fast this machine runs the model."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import SleepFrame, run_test

from tests.conftest import DEMO_AUDIO
from voicebot.audio.codec import TELEPHONE_RATE, split_frames, to_telephone, ulaw_decode
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.exceptions import ConfigError, SpeechError
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.smart_turn import SmartTurn, smart_turn_for
from voicebot.speech.turn_vad import TurnVADProcessor
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer
from voicebot.tools.replay.audio import synthesise
from voicebot.tools.simulator.caller import ULAW_SILENCE, load_utterance

MENU = Expectation(node="greet", intents={"agent": ("agent",)})
ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8),
)
FIXED_WAIT = 0.3  # the menu's end-of-turn wait, telephone_vad_params().stop_secs


@pytest.fixture(scope="module")
def model() -> SmartTurn:
    return SmartTurn()


def quiet(secs: float) -> list[bytes]:
    return [ULAW_SILENCE] * round(secs / 0.02)


def spoken(text: str) -> list[bytes]:
    """espeak-ng saying `text`, as 20 ms μ-law frames, silence trimmed."""
    frames = split_frames(to_telephone(synthesise(text), TELEPHONE_RATE))
    while frames and frames[-1] == ULAW_SILENCE:
        frames.pop()
    while frames and frames[0] == ULAW_SILENCE:
        frames.pop(0)
    return frames


def trimmed(frames: list[bytes]) -> list[bytes]:
    while frames and frames[-1] == ULAW_SILENCE:
        frames.pop()
    return frames


def judged(ulaw: list[bytes], pause: float = 0.2) -> list[Frame]:
    """The caller audio, then `pause` s of quiet (past the point Smart Turn is asked at, 0.1 s
    into a menu's wait, 0.27 s into a dictation wait, and short of the wait itself), then a
    moment with no audio for the verdict to arrive in."""
    return [*as_frames(ulaw), *as_frames(quiet(pause)), SleepFrame(sleep=2.0)]


def as_frames(ulaw: list[bytes]) -> list[Frame]:
    return [InputAudioRawFrame(ulaw_decode(f), TELEPHONE_RATE, 1) for f in ulaw]


async def vad(
    frames: list[Frame], smart: SmartTurn | None, expect: Expectation = MENU
) -> tuple[list[Frame], list[float]]:
    """The VAD stage's turn frames for this audio at a menu, and Smart Turn's verdicts."""
    sent: list[Frame] = [ExpectationFrame(expect=expect), *as_frames(quiet(0.5)), *frames]
    processor = TurnVADProcessor(
        vad_analyzer=WebRTCVADAnalyzer(), smart_turn=smart, audio_idle_timeout=0
    )
    params = PipelineParams(audio_in_sample_rate=TELEPHONE_RATE)
    down, _ = await run_test(processor, frames_to_send=sent, pipeline_params=params)
    turns = (VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame)
    return [f for f in down if isinstance(f, turns)], processor.verdicts


def stops(frames: list[Frame]) -> list[float]:
    return [f.stop_secs for f in frames if isinstance(f, VADUserStoppedSpeakingFrame)]


async def test_a_finished_phrase_ends_its_turn_before_the_fixed_wait(model: SmartTurn) -> None:
    phrase = trimmed(load_utterance(DEMO_AUDIO / "check_my_balance.wav"))
    audio = [*judged(phrase), *as_frames(quiet(0.8))]

    with_model, verdicts = await vad(audio, model)
    assert len(verdicts) == 1 and verdicts[0] >= 0.5  # the model heard it finished
    [ended] = stops(with_model)
    assert ended < FIXED_WAIT  # the turn ended at the verdict, not after the fixed wait
    without, _ = await vad(audio, None)
    assert stops(without) == [pytest.approx(FIXED_WAIT, abs=0.03)]


async def test_a_mid_sentence_pause_is_held_as_one_turn(model: SmartTurn) -> None:
    # "four four one two … one two three four" at a menu: 0.6 s between the halves, longer
    # than the menu's wait, so without the model the caller is cut off after the first half.
    halves = [*judged(spoken("four four one two")), *as_frames(quiet(0.4))]
    halves += [*as_frames(spoken("one two three four")), *as_frames(quiet(1.5))]

    with_model, verdicts = await vad(halves, model)
    assert verdicts[0] < 0.5  # the first half sounded unfinished
    assert [type(f) for f in with_model] == [
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    ]
    without, _ = await vad(halves, None)
    assert [type(f) for f in without] == [
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    ] * 2


async def test_a_digit_group_that_sounds_finished_does_not_end_a_dictated_turn(
    model: SmartTurn,
) -> None:
    # Digit groups sound finished one by one; at a dictation wait Smart Turn only holds.
    groups = [*judged(spoken("two nine"), pause=0.4), *as_frames(quiet(0.2))]
    groups += [*as_frames(spoken("three four zero")), *as_frames(quiet(1.5))]

    frames, verdicts = await vad(groups, model, ACCOUNT)
    assert verdicts[0] >= 0.5  # it sounded finished…
    assert [type(f) for f in frames] == [  # …and the number is still one turn
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    ]
    at_a_menu, _ = await vad(groups, model)  # where it would have ended the turn
    assert len(stops(at_a_menu)) == 2


def test_a_missing_model_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "smart-turn.onnx"
    with pytest.raises(SpeechError, match=str(missing)):
        SmartTurn(missing)


def test_an_unloadable_model_switched_on_is_refused_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    for _ in range(2):  # not remembered as loaded: refused again
        with pytest.raises(ConfigError, match="VOICEBOT_SMART_TURN") as refused:
            smart_turn_for(True, broken)
        assert str(broken) in str(refused.value) and "\n" not in str(refused.value)
    assert smart_turn_for(False, broken) is None  # off: the file is never read


def test_the_bundled_model_hears_a_finished_phrase(model: SmartTurn) -> None:
    pcm = ulaw_decode(b"".join(load_utterance(DEMO_AUDIO / "check_my_balance.wav")))
    assert model.probability(pcm, TELEPHONE_RATE) >= 0.5
    with pytest.raises(SpeechError, match="no audio"):
        model.probability(b"", TELEPHONE_RATE)


def other_model(path: Path) -> Path:
    """A valid ONNX file that is not Smart Turn: one Identity on an input named "x"."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "other", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


async def test_a_model_that_fails_to_run_falls_back_to_the_fixed_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A model file that loads but is not Smart Turn: every inference fails. The call goes on
    # with the fixed wait, and says so once.
    wrong = SmartTurn(other_model(tmp_path / "other.onnx"))
    phrase = trimmed(load_utterance(DEMO_AUDIO / "check_my_balance.wav"))
    audio = [*judged(phrase), *as_frames(quiet(0.8)), *judged(phrase), *as_frames(quiet(0.8))]
    with caplog.at_level(logging.WARNING, logger="voicebot.speech.turn_vad"):
        frames, verdicts = await vad(audio, wrong)
    assert verdicts == []
    assert stops(frames) == [pytest.approx(FIXED_WAIT, abs=0.03)] * 2
    [record] = caplog.records
    assert "Smart Turn inference failed" in record.getMessage()
