"""What the current node can understand: the `Expectation` the recogniser decodes against,
the slot it fills and how the keypad enters it."""

from __future__ import annotations

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.keypad import KeypadEntry, keypad_entry
from voicebot.dialogue.state import CallState, phrases_of
from voicebot.flows.flow import Node
from voicebot.flows.slot_types import AnySlot, ChoiceSlot, CurrencySlot, DigitsSlot
from voicebot.language.words import normalise


def expectation(state: CallState) -> Expectation:
    node = state.current
    intents = {
        name: state.globals.get(name) or tuple(normalise(p) for p in phrases_of(state.flow, name))
        for name in (node.on or {})
    }
    intents.update({k: v for k, v in state.globals.items() if k not in intents})
    slot = slot_expectation(state, node)
    keys = keypad(state)
    return Expectation(
        node=state.node,
        intents=intents,
        slot=slot,
        dtmf=node.kind == "menu" or keys is not None,
        # Spelled e-mail addresses defeat grammar decoding (seconds per turn, rarely
        # right); the open-vocabulary path at least answers in time.
        free_speech=slot is not None and slot.type in ("free_text", "email"),
        questions=questions(node),
        no_input_timeout=node.no_input_timeout,
    )


def slot_expectation(state: CallState, node: Node) -> SlotExpectation | None:
    name = node.collect
    slot = state.flow.slots.get(name or "")
    if state.check is not None:  # "Did you want to …?" takes a yes or no, in any node
        return SlotExpectation("check", "yes_no")
    if name is None or slot is None:
        return None
    if state.confirming:
        return SlotExpectation(f"confirm_{name}", "yes_no", sensitive=slot.sensitive)
    return expect_slot(name, slot)


def keypad(state: CallState) -> KeypadEntry | None:
    """How the keypad enters what the node collects (yes/no while confirming)."""
    if state.check is not None:
        return keypad_entry(None)
    slot = state.slot_def
    if slot is None:
        return None
    if state.confirming:
        return keypad_entry(None)
    return keypad_entry(slot)


def expect_slot(name: str, slot: AnySlot) -> SlotExpectation:
    if isinstance(slot, DigitsSlot):
        low, high = slot.bounds
        return SlotExpectation(name, "digits", low, high, sensitive=slot.sensitive)
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if isinstance(slot, ChoiceSlot):
        options = tuple((value, tuple(synonyms)) for value, synonyms in slot.options.items())
    currency = slot.currency if isinstance(slot, CurrencySlot) else "GBP"
    return SlotExpectation(
        name, slot.type, sensitive=slot.sensitive, options=options, currency=currency
    )


def questions(node: Node) -> tuple[str, ...]:
    """An answer node's FAQ questions and keywords, for the recogniser."""
    if node.answer is None:
        return ()
    entries = node.answer.knowledge.entries
    found = [normalise(e.question) for e in entries] + [
        normalise(k) for e in entries for k in e.keywords
    ]
    return tuple(dict.fromkeys(q for q in found if q))
