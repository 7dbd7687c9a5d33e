"""Decoding during the end-of-turn wait, on whisper's side, with the real tiny.en model: a
turn decoded in its pause is not decoded again, speech after the pause is decoded with the
turn, and a transcript holding the whole account number asks the VAD to end the turn."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)

from collections.abc import Sequence
from pathlib import Path

from pipecat.frames.frames import (
    Frame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from tests.conftest import audio_frames as chunks
from tests.conftest import demo_audio, resumed_turn, synth_audio
from tests.conftest import quiet_frames as quiet
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.speech.early_decode import CallerPausedFrame, EndTurnFrame
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.whisper_stt import (
    WhisperConfig,
    WhisperRecognition,
    WhisperRecognizer,
    WhisperSTTService,
)

ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8),
)
RATE = 8000


class CountingRecognizer(WhisperRecognizer):
    """tiny.en, noting how many seconds of audio each decode was given."""

    decoded: list[float] = []  # noqa: RUF012 - reset by each test

    def recognize(self, pcm16: bytes, sample_rate: int, expect: Expectation) -> WhisperRecognition:
        self.decoded.append(len(pcm16) / 2 / sample_rate)
        return super().recognize(pcm16, sample_rate, expect)


@pytest.fixture(scope="module")
def tiny_en(real_models: Path) -> CountingRecognizer:
    recognizer = CountingRecognizer(WhisperConfig(model="tiny.en", cache_dir=real_models))
    recognizer.warm_up()
    return recognizer


async def turn(
    recognizer: CountingRecognizer, frames: list[Frame]
) -> tuple[list[TranscriptionFrame], Sequence[Frame]]:
    recognizer.decoded = []
    service = WhisperSTTService(recognizer, sample_rate=RATE)
    sent = [ExpectationFrame(expect=ACCOUNT), VADUserStartedSpeakingFrame(), *frames]
    down, up = await run_test(service, frames_to_send=sent, expected_down_frames=None)
    return [f for f in down if isinstance(f, TranscriptionFrame)], up


async def test_a_turn_decoded_in_its_pause_is_not_decoded_again(
    tiny_en: CountingRecognizer,
) -> None:
    account = demo_audio("account_number_spoken")
    frames = [
        *chunks(account),
        *quiet(0.3),
        CallerPausedFrame(secs=0.3),
        *quiet(0.5),
    ]
    transcripts, _ = await turn(tiny_en, [*frames, VADUserStoppedSpeakingFrame()])
    assert [t.text for t in transcripts] == ["2 3 4 5 3 5 8 3"]
    # One decode, of the audio up to the pause: the early decode stood for the whole turn.
    spoken = len(account) / 2 / RATE
    assert tiny_en.decoded == [pytest.approx(spoken + 0.3, abs=0.03)]


async def test_speech_after_the_pause_is_decoded_with_the_turn(
    tiny_en: CountingRecognizer,
) -> None:
    first = synth_audio("four_four_one_two-94d256eef16565b8")
    account = demo_audio("account_number_spoken")
    transcripts, _ = await turn(tiny_en, resumed_turn(first, account, 0.3, 0.8))
    assert len(transcripts) == 1
    whole = len(first + account) / 2 / RATE + 1.1
    # The transcript is of the whole turn (both groups), not of the audio before the pause.
    result = transcripts[0].result
    assert isinstance(result, WhisperRecognition) and result.audio_ms >= (whole - 0.2) * 1000
    assert max(tiny_en.decoded) >= whole - 0.2


async def test_a_whole_account_number_ends_the_turn_and_part_of_one_does_not(
    tiny_en: CountingRecognizer,
) -> None:
    account = demo_audio("account_number_spoken")
    waiting = [CallerPausedFrame(secs=0.3), SleepFrame(sleep=3.0)]  # the decode finishes
    _, up = await turn(tiny_en, [*chunks(account), *quiet(0.3), *waiting])
    assert sum(isinstance(f, EndTurnFrame) for f in up) == 1

    part = synth_audio("four_four_one_two-94d256eef16565b8")
    _, up = await turn(tiny_en, [*chunks(part), *quiet(0.3), *waiting])
    assert not any(isinstance(f, EndTurnFrame) for f in up)  # the caller may go on
