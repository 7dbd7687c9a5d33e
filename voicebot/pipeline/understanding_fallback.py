"""The LLM understanding fallback: a turn the node's grammar misses is offered to the model
(which keeps to its own time budget); the engine still validates what comes back."""

from __future__ import annotations

from dataclasses import replace

from voicebot.dialogue.actions import Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.llm.understanding import LLMUnderstander


async def understood(
    understander: LLMUnderstander | None, engine: DialogueEngine, utterance: Utterance
) -> Utterance:
    """`utterance`, with the intent or slot text the model found if the node alone cannot
    follow it."""
    if understander is None or not utterance.text.strip() or engine.ended:
        return utterance
    if engine.understands(utterance.text):
        return utterance
    expect = engine.expectation()
    got = await understander.understand(utterance.text, expect, engine.today)
    if got is None:
        return utterance
    return replace(utterance, intent=got.intent, slot_text=got.slot_text)
