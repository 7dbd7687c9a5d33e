"""The real models of the models extra: tiny.en hears real human speech over a phone line,
drops silence, noise and loops, keeps to its time limit; piper's joe voice speaks."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)
pytest.importorskip("piper", reason=NL_MISSING)

import asyncio
import re
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pipecat.frames.frames import TTSAudioRawFrame, TTSSpeakFrame
from pipecat.tests.utils import run_test

from voicebot.audio.codec import resample, ulaw_decode, ulaw_encode
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.slots.digits import parse_digits
from voicebot.dialogue.understanding import interpret_open
from voicebot.language.words import DIGIT_WORDS
from voicebot.speech.piper_tts import PiperTTSService, PiperVoiceModel
from voicebot.speech.whisper_guards import judge, token_budget
from voicebot.speech.whisper_stt import WhisperConfig, WhisperRecognizer
from voicebot.tools.replay.audio import synthesise

REAL_SPEECH = Path(__file__).resolve().parents[3] / "shared" / "audio" / "real_speech"
NO_SHARED = "../shared/audio/real_speech (real human recordings) is not beside the project"
MENU = Expectation(node="greet", intents={"agent": ("agent",), "check_balance": ("balance",)})
DIGITS = Expectation(node="acc", slot=SlotExpectation("account_number", "digits"))
EXPECTED = {
    "digits_two_nine_three_four_zero": (DIGITS, "29340"),
    "go_forward_ten_meters": (MENU, "go forward 10 meters"),
    "go_somewhere_and_do_something": (MENU, "go somewhere and do something"),
}


def telephone(path: Path) -> bytes:
    """8 kHz μ-law round trip, as Twilio delivers a caller."""
    with wave.open(str(path)) as w:
        pcm, rate = w.readframes(w.getnframes()), w.getframerate()
    return ulaw_decode(ulaw_encode(resample(pcm, rate, 8000)))


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def tiny_en(real_models: Path) -> WhisperRecognizer:
    recognizer = WhisperRecognizer(WhisperConfig(model="tiny.en", cache_dir=real_models))
    recognizer.warm_up()
    return recognizer


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tiny_en_hears_real_speech_over_the_phone(tiny_en: WhisperRecognizer, name: str) -> None:
    path = REAL_SPEECH / f"{name}.wav"
    if not path.is_file():
        pytest.skip(NO_SHARED)
    expect, said = EXPECTED[name]
    result = tiny_en.recognize(telephone(path), 8000, expect)
    assert words(result.text) == said
    assert not result.rejected and result.confidence > 0.4
    assert result.no_speech_prob < 0.5


@pytest.mark.parametrize("voice", ["en-us", "en-gb"])
def test_the_default_beam_search_hears_a_digit_string_whole(
    tiny_en: WhisperRecognizer, voice: str
) -> None:
    # Greedy decoding (beam 1) dropped the leading "five" for both voices: "7341521".
    said = "five seven three four one five two one"
    audio = synthesise(said, voice=voice, rate=150, noise=0.01)
    account = Expectation(node="acc", slot=SlotExpectation("account", "digits", 8, 8))
    heard = tiny_en.recognize(audio, 8000, account)
    assert interpret_open(heard.text, account, None).slot_value == "57341521", heard.text


# Numbers tiny.en has written partly as words ("… and one, zero, five, two.", "4-1-7 to
# 0-9-3-8.", "M-1-9-4-6-0-2-5."). Which of them it mishears changed between hosts (the
# 2026-12-02 afternoon host heard the first whole from byte-identical audio; the int8 kernels
# of another CPU are the likely cause, not confirmed), so the test takes those it mishears.
PARTLY_WORDS = ("93671052", "41720938", "36075182", "71946025")


def test_a_number_heard_partly_as_words_is_decoded_again_as_digits(
    tiny_en: WhisperRecognizer,
) -> None:
    # Decoded again with only digits allowed, on the same encoding, such a number is heard whole.
    account = Expectation(node="acc", slot=SlotExpectation("account", "digits", 8, 8))
    first = WhisperRecognizer(WhisperConfig(model="tiny.en", digits_decode=False,
                                            cache_dir=tiny_en.config.cache_dir))  # fmt: skip
    recovered = []
    for number in PARTLY_WORDS:
        said = " ".join(DIGIT_WORDS[int(d)] for d in number)
        audio = synthesise(said, voice="en-us", rate=150, noise=0.01)
        plain = first.recognize(audio, 8000, account)
        if parse_digits(plain.text) == number:
            continue  # heard whole the first time: nothing to decode again
        # Twice: the second time too, the digits-only token list is not worn down.
        heard = [tiny_en.recognize(audio, 8000, account) for _ in range(2)]
        if all(
            h.digits_decoded and interpret_open(h.text, account, None).slot_value == number
            for h in heard
        ):
            recovered.append(number)
    assert recovered, "no number tiny.en mishears was recovered by the digits-only decode"


@pytest.mark.parametrize("said", ["I don't know my account number", "agent please"])
def test_words_at_a_digit_slot_stay_words(tiny_en: WhisperRecognizer, said: str) -> None:
    audio = synthesise(said, voice="en-us", rate=150, noise=0.01)
    account = Expectation(node="acc", slot=SlotExpectation("account", "digits", 8, 8))
    heard = tiny_en.recognize(audio, 8000, account)
    assert not heard.digits_decoded
    assert parse_digits(heard.text) is None, heard.text


def line_noise(secs: float, level: float, seed: int = 3) -> bytes:
    hiss = np.random.default_rng(seed).normal(0, level * 32768, int(secs * 8000))
    hum = 0.3 * level * 32768 * np.sin(2 * np.pi * 50 * np.arange(hiss.size) / 8000)
    pcm = np.clip(hiss + hum, -32768, 32767).astype(np.int16).tobytes()
    return ulaw_decode(ulaw_encode(pcm))


@pytest.mark.parametrize("level", [0.0, 0.01, 0.05])
def test_silence_and_line_noise_are_not_words(tiny_en: WhisperRecognizer, level: float) -> None:
    result = tiny_en.recognize(line_noise(1.5, level), 8000, MENU)
    assert result.text == "" and result.rejected and result.confidence == 0.0


@dataclass
class Seg:
    text: str
    tokens: list[int] = field(default_factory=lambda: [1, 2, 3])
    avg_logprob: float = -0.3
    no_speech_prob: float = 0.05
    compression_ratio: float = 1.2


def test_guards_drop_loops_hallucinations_and_run_away_decodes() -> None:
    def why(text: str, secs: float = 2.0, **kw: float) -> str | None:
        return judge([Seg(text, **kw)], text, secs, budget=28).reason  # type: ignore[arg-type]

    assert why("I'd like to speak to a real person, please.") is None
    assert why("1, 1, 1, 1, 2, 2, 2, 2") is None  # digit strings repeat by nature
    assert why("four four four four") is None
    assert why("thank you thank you thank you thank you") == "repetition"
    assert why("yes " * 12, secs=3.0) == "repetition"
    assert why("Thank you.", no_speech_prob=0.9) == "no speech"
    assert why("Thank you.", no_speech_prob=0.65, avg_logprob=-1.4) == "no speech"
    assert why("so this is what I was saying to my friend the other day", secs=0.5) == (
        "more words than the audio holds"
    )
    assert judge([Seg("a b", tokens=list(range(28)))], "a b", 2.0, 28).reason == "token budget"
    assert token_budget(2.0, 64) == 28 and token_budget(30.0, 64) == 64


async def test_a_decode_past_the_time_limit_is_dropped(real_models: Path) -> None:
    slow = WhisperRecognizer(
        WhisperConfig(model="tiny.en", cache_dir=real_models, time_limit_secs=0.01)
    )
    audio = line_noise(2.0, 0.05)
    results = await asyncio.gather(*(slow.recognize_async(audio, 8000, MENU) for _ in range(2)))
    assert all(r.rejected and r.reject_reason == "time limit" for r in results)
    for _ in range(200):  # the decodes finish unheard and free their places
        if slow._pending == 0:
            break
        await asyncio.sleep(0.05)
    assert slow._pending == 0


@pytest.fixture(scope="module")
def joe(real_models: Path) -> PiperVoiceModel:
    return PiperVoiceModel("en_US-joe-medium", real_models)


async def test_joe_speaks_sentence_by_sentence_and_keeps_fixed_prompts(
    joe: PiperVoiceModel,
) -> None:
    assert joe.sample_rate == 22050
    greeting = "Thanks for calling. How can I help?"
    joe.prime([greeting])
    assert not joe.is_kept(greeting)  # kept once said, not at start-up
    service = PiperTTSService(joe, sample_rate=8000)
    down, _ = await run_test(
        service, frames_to_send=[TTSSpeakFrame(text=greeting)], expected_down_frames=None
    )
    audio = b"".join(f.audio for f in down if isinstance(f, TTSAudioRawFrame))
    samples = np.frombuffer(audio, dtype=np.int16)
    assert 1.0 < samples.size / 8000 < 5.0  # two short sentences of speech
    assert np.abs(samples).max() > 10000
    assert joe.is_kept(greeting)
    again = list(joe.sentences(greeting, (None, None)))
    assert all(a is b for a, b in zip(again, joe.sentences(greeting, (None, None)), strict=True))
    composed = "Your balance is 42 pounds."
    list(joe.sentences(composed, (None, None)))
    assert not joe.is_kept(composed)  # what a call composes is never kept
