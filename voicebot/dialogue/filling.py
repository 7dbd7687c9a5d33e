"""Filling the node's slot: the value through the slot's rules (a rule may ask a webhook),
stored, read back if the slot is confirmed, then on to where the node leads."""

from __future__ import annotations

import re
from datetime import date, timedelta

from voicebot.dialogue.actions import Action, SetSlot
from voicebot.dialogue.lookups import request
from voicebot.dialogue.nodes import ask_again, enter
from voicebot.dialogue.replies import read_back_slot, say
from voicebot.dialogue.retries import failed_attempt
from voicebot.dialogue.state import CallState, Pending, number
from voicebot.flows.conditions import evaluate
from voicebot.flows.slot_types import AnySlot, ConfirmableSlot, FreeTextSlot, Rule
from voicebot.language import wording


def validate(state: CallState, value: str, first_rule: int) -> list[Action]:
    """Check `value` against the slot's rules from `first_rule` on, then store it."""
    name = state.current.collect or ""
    slot = state.flow.slots[name]
    if isinstance(slot, FreeTextSlot):
        value = value[: slot.max_chars]
    for i, rule in enumerate(slot.checks[first_rule:], start=first_rule):
        if not passes(rule, slot, value, state.today):
            return failed_attempt(state, "invalid", [rule.reprompt], slot=name)
        if rule.webhook is not None:
            state.pending = Pending("rule", i, value)
            return [request(state, rule.webhook, [name], extra={name: value})]
    return filled(state, value)


def rule_refused(state: CallState, rule: int) -> list[Action]:
    """A rule's webhook said no (or failed): a failed attempt with that rule's reprompt."""
    name = state.current.collect or ""
    reprompt = state.flow.slots[name].checks[rule].reprompt
    return failed_attempt(state, "invalid", [reprompt], slot=state.current.collect)


def passes(rule: Rule, slot: AnySlot, value: str, today: date) -> bool:
    length = len(value)
    if rule.min_length is not None and length < rule.min_length:
        return False
    if rule.max_length is not None and length > rule.max_length:
        return False
    if rule.min is not None or rule.max is not None:
        amount = number(value)
        if amount is None:
            return False
        if (rule.min is not None and amount < rule.min) or (
            rule.max is not None and amount > rule.max
        ):
            return False
    if rule.earliest_days is not None or rule.latest_days is not None:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return False
        if rule.earliest_days is not None and day < today + timedelta(days=rule.earliest_days):
            return False
        if rule.latest_days is not None and day > today + timedelta(days=rule.latest_days):
            return False
    return rule.regex is None or re.fullmatch(rule.regex, value) is not None


def filled(state: CallState, value: str) -> list[Action]:
    name = state.current.collect or ""
    state.no_match = state.unsure = 0
    state.slots[name] = value
    state.record("matched", slot=name, value=value)
    actions: list[Action] = [SetSlot(name, value, sensitive=state.sensitive(name))]
    slot = state.flow.slots[name]
    if isinstance(slot, ConfirmableSlot) and needs_read_back(state, slot):
        state.confirming = True
        return [*actions, *ask_again(state, "")]
    if isinstance(slot, ConfirmableSlot) and slot.confirm == "auto" and state.source == "speech":
        actions.append(say(state, wording.said_back(read_back_slot(state, name, value))))
    return [*actions, *after_slot(state, value)]


RISKY_TYPES = ("digits", "phone", "postcode", "email", "currency")
"""Values a mishearing makes costly (accounts, payments, contact details): `confirm: auto`
reads them back whatever the recogniser's confidence."""


def needs_read_back(state: CallState, slot: ConfirmableSlot) -> bool:
    spoken = state.source == "speech"
    if slot.confirm == "low_confidence":
        return spoken and state.confidence < slot.confirm_below
    if slot.confirm == "auto":
        risky = slot.sensitive or getattr(slot, "type", "") in RISKY_TYPES
        return spoken and (risky or state.confidence < slot.confirm_below)
    return slot.confirm == "always"


def after_slot(state: CallState, value: str) -> list[Action]:
    """Where the node leads once its slot is filled (and confirmed)."""
    node = state.current
    for route in node.if_:
        if evaluate(route.when, state.condition_names()):
            return enter(state, route.goto)
    if node.branch is not None:
        return enter(state, node.branch.yes if value == "yes" else node.branch.no)
    return enter(state, node.next or "")
