"""Real pocketsphinx on telephone audio: fixtures decode to their phrase, off-grammar rejected."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pipecat.frames.frames import (
    EndWorkerFrame,
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.task import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import run_test

from tests.conftest import demo_audio as fixture_audio
from tests.conftest import shared_audio
from voicebot.audio.codec import (
    TELEPHONE_RATE,
    normalise_peak,
    resample,
    to_telephone,
    ulaw_decode,
)
from voicebot.audio.wavfile import read_wav
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.exceptions import SpeechError
from voicebot.speech import recognizer as recognizer_module
from voicebot.speech.espeak import EspeakSynthesizer
from voicebot.speech.frames import ExpectationFrame
from voicebot.speech.grammar import NO_PHRASES, YES_PHRASES
from voicebot.speech.pocketsphinx_stt import PocketsphinxSTTService
from voicebot.speech.recognizer import PocketsphinxRecognizer, Recognition

MENU = Expectation(
    node="main_menu",
    intents={
        "check_balance": ("check my balance", "what's my balance", "how much do I owe"),
        "outage": ("report an outage", "my power is out"),
        "payment": ("make a payment", "pay my bill"),
        "agent": ("agent", "speak to a person", "operator"),
    },
)
ACCOUNT = Expectation(
    node="collect_account",
    intents={"agent": ("agent", "operator")},
    slot=SlotExpectation(name="account_number", type="digits", min_length=8, max_length=8),
)
CONFIRM = Expectation(
    node="confirm",
    intents={"agent": ("agent", "operator")},
    slot=SlotExpectation(name="confirmed", type="yes_no"),
)
FIVE_DIGITS = Expectation(
    node="five_digits", slot=SlotExpectation(name="code", type="digits", min_length=5, max_length=5)
)


@pytest.fixture(scope="module")
def recognizer() -> PocketsphinxRecognizer:
    return PocketsphinxRecognizer()


def real_speech_over_phone(name: str) -> bytes:
    pcm, rate = read_wav(shared_audio("real_speech", f"{name}.wav"))
    return ulaw_decode(to_telephone(pcm, rate))


@pytest.mark.parametrize(
    ("fixture", "expect", "phrase"),
    [
        ("check_my_balance", MENU, "check my balance"),
        ("report_an_outage", MENU, "report an outage"),
        ("agent", MENU, "agent"),
        ("account_number_spoken", ACCOUNT, "two three four five three five eight three"),
    ],
)  # fmt: skip
def test_fixture_decodes_to_its_phrase(
    recognizer: PocketsphinxRecognizer, fixture: str, expect: Expectation, phrase: str
) -> None:
    result = recognizer.recognize(fixture_audio(fixture), TELEPHONE_RATE, expect)
    assert (result.text, result.rejected) == (phrase, False)
    assert 0.5 < result.confidence <= 1.0


def test_agent_while_collecting_digits_is_never_taken_as_a_digit(
    recognizer: PocketsphinxRecognizer,
) -> None:
    # Measured: pocketsphinx's lattice pass prefers a partial "eight" over "agent" here, which
    # the grammar check rejects; a no-match re-prompts, a wrong digit would not.
    result = recognizer.recognize(fixture_audio("agent"), TELEPHONE_RATE, ACCOUNT)
    assert result.text in ("agent", "")


@pytest.mark.parametrize(("fixture", "phrasings"), [("yes", YES_PHRASES), ("no", NO_PHRASES)])
def test_yes_and_no_decode_to_a_phrasing_of_the_same_answer(
    recognizer: PocketsphinxRecognizer, fixture: str, phrasings: tuple[str, ...]
) -> None:
    result = recognizer.recognize(fixture_audio(fixture), TELEPHONE_RATE, CONFIRM)
    assert not result.rejected
    assert result.text in phrasings


@pytest.mark.parametrize("expect", [MENU, ACCOUNT, CONFIRM], ids=lambda e: e.node)
def test_out_of_grammar_speech_is_rejected(
    recognizer: PocketsphinxRecognizer, expect: Expectation
) -> None:
    result = recognizer.recognize(fixture_audio("out_of_grammar"), TELEPHONE_RATE, expect)
    assert (result.text, result.rejected) == ("", True)
    assert result.confidence < 0.5


def test_real_human_digits_over_the_phone(recognizer: PocketsphinxRecognizer) -> None:
    audio = real_speech_over_phone("digits_two_nine_three_four_zero")
    result = recognizer.recognize(audio, TELEPHONE_RATE, FIVE_DIGITS)
    assert (result.text, result.rejected) == ("two nine three four zero", False)


def test_real_off_grammar_speech_is_rejected_by_the_menu(
    recognizer: PocketsphinxRecognizer,
) -> None:
    audio = real_speech_over_phone("go_somewhere_and_do_something")
    result = recognizer.recognize(audio, TELEPHONE_RATE, MENU)
    assert result.rejected and result.text == ""


def test_free_speech_uses_the_open_vocabulary_model(recognizer: PocketsphinxRecognizer) -> None:
    audio = real_speech_over_phone("go_somewhere_and_do_something")
    result = recognizer.recognize(audio, TELEPHONE_RATE, Expectation("note", free_speech=True))
    assert (result.text, result.rejected) == ("go somewhere and do something", False)


def test_wideband_input_is_accepted_too(recognizer: PocketsphinxRecognizer) -> None:
    wideband = resample(fixture_audio("check_my_balance"), TELEPHONE_RATE, 16000)
    assert recognizer.recognize(wideband, 16000, MENU).text == "check my balance"


def test_trailing_digital_silence_does_not_change_the_result(
    recognizer: PocketsphinxRecognizer,
) -> None:
    padded = fixture_audio("report_an_outage") + bytes(TELEPHONE_RATE)  # 0.5 s of zeros
    assert recognizer.recognize(padded, TELEPHONE_RATE, MENU).text == "report an outage"


def test_silence_is_rejected(recognizer: PocketsphinxRecognizer) -> None:
    result = recognizer.recognize(bytes(TELEPHONE_RATE * 2), TELEPHONE_RATE, MENU)
    assert result.rejected and result.text == ""


def test_a_node_without_speech_rejects_without_decoding(recognizer: PocketsphinxRecognizer) -> None:
    result = recognizer.recognize(fixture_audio("agent"), TELEPHONE_RATE, Expectation("keypad"))
    assert result.rejected and result.text == ""


def test_words_missing_from_the_dictionary_raise_a_clear_speech_error(
    recognizer: PocketsphinxRecognizer,
) -> None:
    expect = Expectation("menu", intents={"brand": ("zorblaxian support",)})
    with pytest.raises(SpeechError, match=r"node 'menu' uses words .* lacks: zorblaxian"):
        recognizer.recognize(fixture_audio("agent"), TELEPHONE_RATE, expect)


def test_concurrent_turns_share_one_recognizer(recognizer: PocketsphinxRecognizer) -> None:
    jobs = [("check_my_balance", MENU), ("yes", CONFIRM), ("report_an_outage", MENU)] * 3
    audio = {name: fixture_audio(name) for name, _ in jobs}
    with ThreadPoolExecutor(max_workers=6) as pool:
        texts = list(
            pool.map(lambda j: recognizer.recognize(audio[j[0]], TELEPHONE_RATE, j[1]).text, jobs)
        )
    assert texts == [
        recognizer.recognize(audio[name], TELEPHONE_RATE, expect).text for name, expect in jobs
    ]
    assert texts[0::3] == ["check my balance"] * 3


# --- the pipecat service -----------------------------------------------------------------------


def turn_frames(pcm: bytes) -> list[Frame]:
    chunk = TELEPHONE_RATE // 50 * 2  # 20 ms, as Twilio sends it
    audio = [
        InputAudioRawFrame(audio=pcm[i : i + chunk], sample_rate=TELEPHONE_RATE, num_channels=1)
        for i in range(0, len(pcm), chunk)
    ]
    return [VADUserStartedSpeakingFrame(), *audio, VADUserStoppedSpeakingFrame()]


async def test_service_decodes_a_turn_against_the_expectation_from_downstream(
    recognizer: PocketsphinxRecognizer,
) -> None:
    stt = PocketsphinxSTTService(recognizer)
    await stt.process_frame(ExpectationFrame(expect=MENU), FrameDirection.UPSTREAM)
    down, up = await run_test(
        stt,
        frames_to_send=turn_frames(fixture_audio("check_my_balance")),
        pipeline_params=PipelineParams(audio_in_sample_rate=TELEPHONE_RATE),
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [(t.text, t.user_id) for t in transcripts] == [("check my balance", "caller")]
    assert isinstance(transcripts[0].result, Recognition)
    assert not any(isinstance(f, ExpectationFrame) for f in [*down, *up])


async def test_service_sends_an_empty_transcript_on_no_match(
    recognizer: PocketsphinxRecognizer,
) -> None:
    stt = PocketsphinxSTTService(recognizer, hold_secs=0)
    await stt.process_frame(ExpectationFrame(expect=MENU), FrameDirection.UPSTREAM)
    down, _ = await run_test(
        stt,
        frames_to_send=turn_frames(fixture_audio("out_of_grammar")),
        pipeline_params=PipelineParams(audio_in_sample_rate=TELEPHONE_RATE),
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [t.text for t in transcripts] == [""]
    assert isinstance(transcripts[0].result, Recognition) and transcripts[0].result.rejected


class EndAfterTranscript(FrameProcessor):
    """Ends the test pipeline once a transcript has passed."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame):
            await self.push_frame(EndWorkerFrame(), FrameDirection.UPSTREAM)


def spoken(text: str, voice: str = "en-us") -> bytes:
    pcm, rate = EspeakSynthesizer().synthesize(text, voice=voice, rate=150)
    return ulaw_decode(to_telephone(normalise_peak(pcm), rate))


async def test_a_pause_mid_number_is_held_and_joined_to_what_follows(
    recognizer: PocketsphinxRecognizer,
) -> None:
    # "two three four five" alone stops part-way through the 8-digit grammar: the service
    # waits for more instead of answering no-match, and the caller's next words complete it.
    stt = PocketsphinxSTTService(recognizer)
    await stt.process_frame(ExpectationFrame(expect=ACCOUNT), FrameDirection.UPSTREAM)
    first, second = spoken("two three four five"), spoken("three five eight three")
    assert recognizer.recognize(first, TELEPHONE_RATE, ACCOUNT).partial
    down, _ = await run_test(
        stt,
        frames_to_send=[*turn_frames(first), *turn_frames(second)],
        pipeline_params=PipelineParams(audio_in_sample_rate=TELEPHONE_RATE),
    )
    transcripts = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    assert transcripts == ["two three four five three five eight three"]


async def test_an_unfinished_number_becomes_a_no_match_after_the_hold(
    recognizer: PocketsphinxRecognizer,
) -> None:
    stt = PocketsphinxSTTService(recognizer, hold_secs=0.2)
    await stt.process_frame(ExpectationFrame(expect=ACCOUNT), FrameDirection.UPSTREAM)
    # The call ends when the transcript is out, not after a fixed sleep: a cold recogniser
    # (this test run alone) decodes for seconds, and an end arriving first drops the held turn.
    down, _ = await run_test(
        Pipeline([stt, EndAfterTranscript()]),
        frames_to_send=turn_frames(spoken("two three four five")),
        pipeline_params=PipelineParams(audio_in_sample_rate=TELEPHONE_RATE),
        send_end_frame=False,
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [t.text for t in transcripts] == [""]
    result = transcripts[0].result
    assert result is not None and result.partial


async def test_service_reports_failures_as_error_frames(
    recognizer: PocketsphinxRecognizer,
) -> None:
    stt = PocketsphinxSTTService(recognizer)
    bad = Expectation("menu", intents={"brand": ("zorblaxian support",)})
    await stt.process_frame(ExpectationFrame(expect=bad), FrameDirection.UPSTREAM)
    down, up = await run_test(
        stt,
        frames_to_send=turn_frames(fixture_audio("agent")),
        pipeline_params=PipelineParams(audio_in_sample_rate=TELEPHONE_RATE),
    )
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert len(errors) == 1 and "zorblaxian" in errors[0].error
    assert not any(isinstance(f, TranscriptionFrame) for f in down)


def test_a_turn_checked_against_several_grammars_is_phone_decoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "You're useless" at the account number: the node's grammar is tried, then the feelings
    # grammar; each path is measured against the same free phone decode of the same audio.
    searches: list[str] = []
    real_decode = recognizer_module._Decoder.decode

    def counting(self: recognizer_module._Decoder, search: str, pcm16: bytes) -> object:
        searches.append(search)
        return real_decode(self, search, pcm16)

    monkeypatch.setattr(recognizer_module._Decoder, "decode", counting)
    result = PocketsphinxRecognizer().recognize(
        fixture_audio("youre_useless"), TELEPHONE_RATE, ACCOUNT
    )
    assert not result.rejected  # heard as a feeling
    assert len(set(searches) - {recognizer_module._PHONE_LOOP}) >= 2  # two grammars decoded
    assert searches.count(recognizer_module._PHONE_LOOP) == 1
