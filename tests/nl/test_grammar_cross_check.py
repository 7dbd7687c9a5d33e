"""The grammar cross-check (issue 13, item 2): a menu turn whisper misheard, which the intent
matcher rejects, is decoded against the node's grammar too; when both find the same intent the
bot asks "Did you say …?" instead of re-prompting. Real pocketsphinx on synthesised caller
audio, the real intent matcher, and (last test) real tiny.en."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dialogue.test_evidence import at, said
from voicebot.audio.codec import TELEPHONE_RATE
from voicebot.dialogue.actions import Expectation, Utterance
from voicebot.dialogue.matcher import IntentMatcher
from voicebot.exceptions import SpeechError
from voicebot.pipeline.understanding_fallback import cross_checked, matched
from voicebot.speech.recognizer import PocketsphinxRecognizer, Recognition
from voicebot.tools.replay.audio import synthesise


@pytest.fixture(scope="module")
def grammar() -> PocketsphinxRecognizer:
    recognizer = PocketsphinxRecognizer()
    recognizer.warm_up()
    return recognizer


def caller(text: str, voice: str) -> bytes:
    """`text` as a caller on a phone line says it: 8 kHz, line noise."""
    return synthesise(text, voice=voice, rate=150, noise=0.01)


class Unavailable:
    """A grammar recogniser whose decode fails, as a crashed decode process does."""

    def __init__(self) -> None:
        self.calls = 0

    async def recognize_async(self, pcm16: bytes, rate: int, expect: Expectation) -> Recognition:
        self.calls += 1
        raise SpeechError("decode process died", retryable=True)


async def test_a_misheard_menu_turn_the_grammar_agrees_with_is_checked(
    matcher: IntentMatcher, grammar: PocketsphinxRecognizer
) -> None:
    # What tiny.en wrote for this voice saying "report an outage" (bench/understanding.py).
    engine = at()
    heard = await matched(matcher, engine, Utterance("report can i open?", 0.64))
    assert heard.match is not None and heard.match.intent is None
    assert heard.match.candidate == "report_outage"
    audio = caller("report an outage", "en-gb-scotland")
    checked = await cross_checked(grammar, engine, heard, audio, TELEPHONE_RATE)
    assert checked.match is not None and checked.match.intent == "report_outage"
    assert checked.match.evidence == "agreed" and not checked.match.sure
    actions = engine.handle(checked)
    assert engine.pending_check == "report_outage" and engine.node == "greet"
    assert "report an outage" in said(actions).lower()


async def test_off_topic_speech_the_grammar_forces_into_a_phrase_stays_a_no_match(
    matcher: IntentMatcher, grammar: PocketsphinxRecognizer
) -> None:
    # The grammar hears this voice's "my dog ate my homework" as "my power is out"; the
    # matcher's best guess is another intent, so nothing agrees.
    engine = at()
    heard = await matched(matcher, engine, Utterance("my dog ate my homework", 0.9))
    assert heard.match is not None and heard.match.intent is None
    audio = caller("my dog ate my homework", "en-us+f3")
    decoded = grammar.recognize(audio, TELEPHONE_RATE, engine.expectation())
    assert not decoded.rejected  # the grammar alone would have taken it
    checked = await cross_checked(grammar, engine, heard, audio, TELEPHONE_RATE)
    assert checked == heard
    engine.handle(checked)
    assert engine.pending_check is None and engine.node == "greet"


@pytest.mark.parametrize(
    ("node", "words", "decodes"),
    [
        ("ask_whole_home", "must rise", 0),  # a slot node: never cross-checked
        ("greet", "I want to report an outage", 0),  # an accepted match: not decoded again
        ("greet", "report can i open?", 1),  # a failed decode: the turn stands as heard
    ],
)
async def test_the_turn_stands_as_heard_without_a_grammar_agreement(
    matcher: IntentMatcher, node: str, words: str, decodes: int
) -> None:
    engine = at(node)
    heard = await matched(matcher, engine, Utterance(words, 0.6))
    ear = Unavailable()
    assert await cross_checked(ear, engine, heard, b"\0\0" * 8000, TELEPHONE_RATE) == heard
    assert ear.calls == decodes


async def test_tiny_en_then_the_grammar_on_one_turn(
    matcher: IntentMatcher, grammar: PocketsphinxRecognizer, real_models: Path
) -> None:
    """The whole path on one turn: tiny.en mishears the voice, the matcher rejects what it
    wrote, the grammar decodes the node's phrase, and the bot checks instead of re-prompting."""
    from voicebot.speech.whisper_stt import WhisperConfig, WhisperRecognizer

    whisper = WhisperRecognizer(WhisperConfig(model="tiny.en", cache_dir=real_models))
    engine = at()
    audio = caller("report an outage", "en-gb-scotland")
    heard = whisper.recognize(audio, TELEPHONE_RATE, engine.expectation())
    assert "outage" not in heard.text.lower()  # misheard: otherwise nothing to cross-check
    turn = await matched(matcher, engine, Utterance(heard.text, heard.confidence))
    assert turn.match is not None and turn.match.intent is None
    checked = await cross_checked(grammar, engine, turn, audio, TELEPHONE_RATE)
    engine.handle(checked)
    assert engine.pending_check == "report_outage"
