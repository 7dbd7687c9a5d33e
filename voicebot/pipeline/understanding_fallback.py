"""Understanding a caller turn before the engine takes it. An open-vocabulary transcript is
read by the intent matcher (off the event loop: it runs a sentence-embedding model); a turn
the node cannot follow surely — a grammar miss, or a match the matcher rejects or is unsure
of — is offered to the LLM (which keeps to its own time budget). The engine still validates
whatever comes back."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from voicebot.dialogue.actions import Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import IntentMatcher
from voicebot.llm.understanding import LLMUnderstander


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
