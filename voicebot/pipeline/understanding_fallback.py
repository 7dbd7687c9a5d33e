"""Understanding a caller turn before the engine takes it. An open-vocabulary transcript is
read by the intent matcher (off the event loop: it runs a sentence-embedding model); a match
the matcher rejects at a node that expects only intents is cross-checked against the node's
grammar on the same audio; a turn the node cannot follow surely — a grammar miss, or a match
the matcher rejects or is unsure of — is offered to the LLM (which keeps to its own time
budget). The engine still validates whatever comes back."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from loguru import logger

from voicebot.dialogue.actions import Expectation, Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import IntentMatcher
from voicebot.dialogue.understanding import interpret
from voicebot.exceptions import SpeechError
from voicebot.llm.understanding import LLMUnderstander
from voicebot.speech.recognizer import Recognition


class GrammarRecognizer(Protocol):
    """pocketsphinx (in this process or in decode processes): the node's nearest phrase."""

    async def recognize_async(
        self, pcm16: bytes, sample_rate: int, expect: Expectation
    ) -> Recognition: ...


async def matched(
    matcher: IntentMatcher | None, engine: DialogueEngine, heard: Utterance
) -> Utterance:
    """`heard` as an open-vocabulary turn with the matcher's reading (unchanged without one)."""
    if matcher is None:
        return heard
    if not heard.text.strip() or engine.ended:
        return replace(heard, open_vocabulary=True)
    intents = engine.expectation().intents
    match = await asyncio.to_thread(matcher.match, heard.text, intents)
    return replace(heard, open_vocabulary=True, match=match)


async def cross_checked(
    grammar: GrammarRecognizer | None,
    engine: DialogueEngine,
    heard: Utterance,
    audio: bytes,
    sample_rate: int,
) -> Utterance:
    """`heard` with its rejected match accepted when the node's grammar, decoding the same
    audio, finds the matcher's best intent too. Two recognisers that err differently agreeing
    is evidence, but not a sure match: the engine still asks "Did you say …?" before leaving
    the node. Only at a node that expects intents alone (a menu); measured on held-out voices,
    the agreement was right every time it happened and never on off-topic speech
    (docs/understanding.md)."""
    match = heard.match
    if grammar is None or match is None or match.accepted or match.candidate is None:
        return heard
    expect = engine.expectation()
    if not audio or engine.ended or expect.slot or expect.free_speech or expect.questions:
        return heard
    try:
        decoded = await grammar.recognize_async(audio, sample_rate, expect)
    except SpeechError as exc:  # a second opinion only: without it the turn stands as heard
        logger.warning(f"grammar cross-check unavailable at node '{expect.node}': {exc}")
        return heard
    if decoded.rejected or interpret(decoded.text, expect).intent != match.candidate:
        return heard
    agreed = replace(match, intent=match.candidate, evidence="agreed", unsure=False, sure=False)
    return replace(heard, match=agreed)


async def understood(
    understander: LLMUnderstander | None, engine: DialogueEngine, utterance: Utterance
) -> Utterance:
    """`utterance`, with the intent or slot text the model found if the node alone cannot
    follow it surely."""
    if understander is None or not utterance.text.strip() or engine.ended:
        return utterance
    if engine.understands(utterance):
        return utterance
    expect = engine.expectation()
    got = await understander.understand(utterance.text, expect, engine.today)
    if got is None:
        return utterance
    return replace(utterance, intent=got.intent, slot_text=got.slot_text)
