"""Decoding during the end-of-turn wait on the embedded stack, with real pocketsphinx: a turn
decoded in its pause is not decoded again, speech after the pause is decoded with the turn,
and a number held unfinished from the turn before is decoded early together with the rest."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
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
from voicebot.speech.early_decode import CallerPausedFrame
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.pocketsphinx_stt import PocketsphinxSTTService
from voicebot.speech.recognizer import PocketsphinxRecognizer, Recognition

ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation("account_number", "digits", min_length=8, max_length=8),
)
RATE = 8000
ACCOUNT_WORDS = "two three four five three five eight three"


class CountingRecognizer(PocketsphinxRecognizer):
    """Real pocketsphinx, noting how many seconds of audio each decode was given."""

    decoded: list[float] = []  # noqa: RUF012 - reset by each test

    def recognize(self, pcm16: bytes, sample_rate: int, expect: Expectation) -> Recognition:
        self.decoded.append(len(pcm16) / 2 / sample_rate)
        return super().recognize(pcm16, sample_rate, expect)


@pytest.fixture(scope="module")
def recognizer() -> CountingRecognizer:
    counting = CountingRecognizer()
    counting.warm_up()
    return counting


async def turn(
    recognizer: CountingRecognizer, frames: list[Frame], hold_secs: float = 0.0
) -> tuple[list[TranscriptionFrame], Sequence[Frame]]:
    recognizer.decoded = []
    service = PocketsphinxSTTService(recognizer, sample_rate=RATE, hold_secs=hold_secs)
    sent = [ExpectationFrame(expect=ACCOUNT), VADUserStartedSpeakingFrame(), *frames]
    down, up = await run_test(service, frames_to_send=sent, expected_down_frames=None)
    return [f for f in down if isinstance(f, TranscriptionFrame)], up


async def test_a_turn_decoded_in_its_pause_is_not_decoded_again(
    recognizer: CountingRecognizer,
) -> None:
    account = demo_audio("account_number_spoken")
    frames = [
        *chunks(account),
        *quiet(0.1),
        CallerPausedFrame(secs=0.1),
        *quiet(0.2),
    ]
    transcripts, _ = await turn(recognizer, [*frames, VADUserStoppedSpeakingFrame()])
    assert [t.text for t in transcripts] == [ACCOUNT_WORDS]
    # One decode, of the audio up to the pause: the early decode stood for the whole turn.
    assert recognizer.decoded == [pytest.approx(len(account) / 2 / RATE + 0.1, abs=0.03)]


async def test_speech_after_the_pause_is_decoded_with_the_turn(
    recognizer: CountingRecognizer,
) -> None:
    first = synth_audio("four_four_one_two-94d256eef16565b8")
    account = demo_audio("account_number_spoken")
    transcripts, _ = await turn(recognizer, resumed_turn(first, account, 0.1, 0.3))
    assert len(transcripts) == 1
    whole = len(first + account) / 2 / RATE + 0.4
    assert max(recognizer.decoded) == pytest.approx(whole, abs=0.03)  # the whole turn, decoded


async def test_an_unfinished_number_held_from_before_the_pause_is_decoded_with_the_rest(
    recognizer: CountingRecognizer,
) -> None:
    # "four four one two", a VAD stop (the recogniser holds the unfinished number), then the
    # other four digits, a pause, and the turn's end: the early decode is of both parts.
    part = synth_audio("four_four_one_two-94d256eef16565b8")
    frames = [
        *chunks(part),
        *quiet(0.3),
        VADUserStoppedSpeakingFrame(),
        SleepFrame(sleep=0.3),
    ]
    frames += [VADUserStartedSpeakingFrame(), *chunks(part), *quiet(0.1)]
    frames += [CallerPausedFrame(secs=0.1), *quiet(0.2), VADUserStoppedSpeakingFrame()]
    transcripts, _ = await turn(recognizer, frames, hold_secs=2.0)
    assert [t.text for t in transcripts] == ["four four one two four four one two"]
    held_and_rest = (2 * len(part)) / 2 / RATE + 0.3 + 0.1
    assert recognizer.decoded[-1] == pytest.approx(held_and_rest, abs=0.03)
    assert len(recognizer.decoded) == 2  # the first part, then both parts once
