"""Webhooks the flow calls out to: the request a node's lookup or a slot's validation rule
sends, and the slot values read from the answer."""

from __future__ import annotations

from voicebot.dialogue.actions import CallWebhook
from voicebot.dialogue.expectations import expect_slot
from voicebot.dialogue.state import CallState
from voicebot.dialogue.understanding import parse_expected
from voicebot.flows.webhooks import Webhook, as_slot_text, pick


def request(
    state: CallState, hook: Webhook, send: list[str], extra: dict[str, str] | None = None
) -> CallWebhook:
    """The call to `hook` with the slots named in `send` (and `extra`) as its payload."""
    payload = {name: state.slots[name] for name in send if name in state.slots}
    payload.update(extra or {})
    return CallWebhook(
        url=hook.url,
        method=hook.method,
        payload=payload,
        timeout=hook.timeout,
        headers=dict(hook.headers),
        private=any(state.sensitive(name) for name in payload),
    )


def fills(state: CallState, hook: Webhook, data: object) -> dict[str, str] | None:
    """Slot values read from the answer, each through its slot's parser; None if any is
    missing or unreadable (a lookup that half worked is not trusted)."""
    values: dict[str, str] = {}
    for name, path in hook.fills.items():
        text = as_slot_text(pick(data, path))
        slot = state.flow.slots[name]
        value = parse_expected(text, expect_slot(name, slot), state.today) if text else None
        if value is None:
            return None
        values[name] = value
    return values


def rule_passed(data: object) -> bool:
    """A validation rule's webhook accepted the value (`{"valid": true}`)."""
    return pick(data, "valid") is True
