"""What the bot says in a node: the flow's words or its `say_if` variant, slot values read
out in place of `{slot}`, in the style the caller's mood calls for."""

from __future__ import annotations

import re

from voicebot.dialogue.actions import Say
from voicebot.dialogue.slots import read_back
from voicebot.dialogue.state import CallState, phrases_of
from voicebot.flows.conditions import evaluate
from voicebot.flows.flow import Node
from voicebot.flows.slot_types import CurrencySlot
from voicebot.language import wording

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def say(state: CallState, text: str) -> Say:
    """A Say with `{slot}` placeholders read out; private if a sensitive value is in it."""
    private = False

    def fill(match: re.Match[str]) -> str:
        nonlocal private
        name = match.group(1)
        if name not in state.slots:
            return ""
        private = private or state.sensitive(name)
        return read_back_slot(state, name, state.slots[name])

    text = _PLACEHOLDER.sub(fill, text)
    # Prompts built from a read-back ("I heard 1 2 3 4. Is that right?") carry the value too.
    private = private or any(
        state.sensitive(name) and (value in text or read_back_slot(state, name, value) in text)
        for name, value in state.slots.items()
        if value
    )
    return Say(
        text, style=state.mood.style(), private=private, interruptible=state.current.interruptible
    )


def read_back_slot(state: CallState, name: str, value: str) -> str:
    slot = state.flow.slots[name]
    currency = slot.currency if isinstance(slot, CurrencySlot) else "GBP"
    return read_back(slot.type, value, currency=currency, today=state.today)


def words(state: CallState, node: Node, default: str | None) -> str | None:
    """`default` (say or prompt), or the first `say_if` variant whose condition holds, or
    for an impatient caller the menu's short form."""
    if node.say_if:
        names = state.condition_names()
        for variant in node.say_if:
            if evaluate(variant.when, names):
                return variant.say
    if node.kind == "menu" and state.flow.emotion.shorten_menus and state.mood.impatient:
        if node.short_say:
            return node.short_say
        return wording.short_menu([phrases_of(state.flow, intent)[0] for intent in node.on or {}])
    return default


def prompt(state: CallState) -> str:
    """The current node's question (or its slot's read-back while confirming)."""
    node = state.current
    if state.check is not None:
        found = phrases_of(state.flow, state.check)
        return wording.check(state.check, found[0] if found else state.check.replace("_", " "))
    if state.confirming:
        name = node.collect or ""
        return wording.confirm(read_back_slot(state, name, state.slots[name]))
    text = node.prompt if node.kind in ("collect", "answer") else node.say
    return words(state, node, text) or ""
