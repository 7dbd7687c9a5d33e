"""faster-whisper's real loading and decoding path on a tiny random-weight model.

The words are not judged (the weights are random); the plumbing is: model folder checks, no
download, resampling, hot words, confidence from log-probs, timings, the bounded queue and the
pipecat service turning a VAD-bounded turn into one TranscriptionFrame.
"""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)

import asyncio
from pathlib import Path

import numpy as np
from pipecat.frames.frames import (
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import run_test

from tests.nl.tiny_models import WORDS
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.exceptions import SpeechError
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.whisper_stt import (
    ModelMissingError,
    WhisperConfig,
    WhisperRecognition,
    WhisperRecognizer,
    WhisperSTTService,
    hotwords_for,
    initial_prompt_for,
    resolve_model_path,
)

MENU = Expectation(
    node="greet", intents={"check_balance": ("check my balance", "balance"), "agent": ("agent",)}
)


def noise(secs: float, rate: int = 8000) -> bytes:
    samples = np.random.default_rng(1).normal(0, 3000, int(secs * rate))
    return samples.astype(np.int16).tobytes()


@pytest.fixture(scope="module")
def recognizer(tiny_whisper: Path) -> WhisperRecognizer:
    return WhisperRecognizer(WhisperConfig(model=str(tiny_whisper), max_new_tokens=6))


def test_decodes_a_turn(recognizer: WhisperRecognizer) -> None:
    result = recognizer.recognize(noise(1.0), 8000, MENU)
    assert result.heard
    assert set(result.heard.split()) <= set(WORDS)
    assert result.audio_ms == 1000.0
    assert result.decode_ms > 0
    assert result.segments and result.segments[0].end <= 1.0 + 1e-6
    # Random weights never write the end of text: every decode runs to its token budget,
    # and the guards drop such a turn (real speech: test_real_speech.py).
    assert result.rejected and result.reject_reason == "token budget"
    assert result.text == "" and result.confidence == 0.0


def test_missing_model_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as info:
        resolve_model_path("tiny.en-not-cached-here")
    assert "WhisperModel('tiny.en-not-cached-here'" in str(info.value)
    with pytest.raises(ModelMissingError, match="tokenizer.json"):
        resolve_model_path(str(tmp_path))  # a folder without a model in it


def test_node_phrases_become_hot_words() -> None:
    assert hotwords_for(MENU) == "check my balance, balance, agent"
    choice = Expectation(
        node="pick",
        slot=SlotExpectation(
            name="meter", type="choice", options=(("gas", ("gas meter",)), ("electric", ()))
        ),
    )
    assert hotwords_for(choice) == "gas, gas meter, electric"
    commands = {"agent": ("agent",), "goodbye": ("goodbye", "bye", "good bye")}
    # A slot node hears its own words only: the commands were written back as the answer.
    yes_no = Expectation(
        node="ask", intents=commands, slot=SlotExpectation(name="home", type="yes_no")
    )
    assert hotwords_for(yes_no) == "yes, no"
    digits_node = Expectation(
        node="acc", intents=commands, slot=SlotExpectation(name="account", type="digits")
    )
    assert hotwords_for(digits_node) is None
    assert hotwords_for(Expectation(node="open", free_speech=True)) is None
    digits = Expectation(node="acc", slot=SlotExpectation(name="account_number", type="digits"))
    assert initial_prompt_for(digits) is None  # it cost tiny.en 4 of 30 digit strings
    date = Expectation(node="when", slot=SlotExpectation(name="moving_date", type="date"))
    assert "14 March" in (initial_prompt_for(date) or "")


async def test_async_decoding_is_bounded(tiny_whisper: Path) -> None:
    small = WhisperRecognizer(
        WhisperConfig(model=str(tiny_whisper), max_new_tokens=4, max_pending=1)
    )
    turns = [small.recognize_async(noise(0.5), 8000, MENU) for _ in range(4)]
    results = await asyncio.gather(*turns, return_exceptions=True)
    done = [r for r in results if isinstance(r, WhisperRecognition)]
    refused = [r for r in results if isinstance(r, SpeechError)]
    assert len(done) == 2  # one decoding, one waiting
    assert len(refused) == 2 and all(r.retryable for r in refused)
    assert max(r.queue_ms for r in done) > 0


async def test_service_turns_a_vad_turn_into_a_transcription(
    recognizer: WhisperRecognizer,
) -> None:
    service = WhisperSTTService(recognizer, sample_rate=8000)
    audio = noise(0.6)
    frames = [
        ExpectationFrame(expect=MENU),
        VADUserStartedSpeakingFrame(),
        *[
            InputAudioRawFrame(audio=audio[i : i + 320], sample_rate=8000, num_channels=1)
            for i in range(0, len(audio), 320)
        ],
        VADUserStoppedSpeakingFrame(),
    ]
    down, _ = await run_test(service, frames_to_send=frames, expected_down_frames=None)
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1
    assert isinstance(transcripts[0].result, WhisperRecognition)
    assert transcripts[0].text == transcripts[0].result.text
    assert service.expectation == MENU
