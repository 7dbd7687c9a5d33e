"""Webhooks a flow calls (look up a balance, check an account): their config and answers.

Pure: the engine asks for a call with `CallWebhook`; the pipeline's `WebhookClient` makes it
and feeds back `WebhookResult`. Reading values out of the JSON answer happens here.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field

from voicebot.flows.base import FlowModel

MAX_TIMEOUT_SECS = 10.0
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Webhook(FlowModel):
    """An HTTP call to the support centre's own systems."""

    url: str = Field(min_length=1)
    """Where to send the request. `${NAME}` or `${NAME:-default}` is replaced by the
    environment variable NAME when the call is made (keep hosts and secrets out of flows)."""
    method: Literal["GET", "POST"] = "POST"
    """`POST` sends the slots as a JSON object; `GET` sends them as query parameters."""
    send: list[str] = Field(default_factory=list)
    """Slots to send (by name). Sensitive slots are sent, never logged."""
    fills: dict[str, str] = Field(default_factory=dict)
    """Slot name -> dotted path in the JSON answer (`balance`, `account.due_date`). Each value
    is read by the slot's own parser; a missing or unreadable value counts as a failure."""
    timeout: float = Field(default=3.0, gt=0, le=MAX_TIMEOUT_SECS)
    """Seconds to wait for the answer before taking the failure branch."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers; `${NAME}` is expanded here too (for tokens)."""


def expand_env(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with `${NAME}` / `${NAME:-default}` replaced; KeyError names a missing variable."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise KeyError(name)

    return _ENV.sub(replace, text)


def pick(data: object, path: str) -> object | None:
    """The value at a dotted path (`account.balance`, `items.0.id`) or None if absent."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def as_slot_text(value: object) -> str | None:
    """A JSON scalar as the text a slot parser reads; containers and null are not values."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
