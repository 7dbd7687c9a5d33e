"""Queues and routing rules as a flow declares them in YAML (`queues:` and `routing:`).

Pure config: `routing.py` decides with it, `check_routing` reports its reference problems.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from voicebot.flows.base import FlowModel
from voicebot.language import wording

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class TwilioQueue(FlowModel):
    """How Twilio reaches the humans behind a queue: exactly one of the three targets."""

    enqueue: str | None = Field(default=None, min_length=1)
    """Name of the Twilio `<Enqueue>` queue the call is put in."""
    workflow_sid: str | None = Field(default=None, pattern=r"^WW[0-9a-fA-F]{32}$")
    """TaskRouter workflow: `<Enqueue workflowSid>` with a `<Task>` carrying the handoff."""
    task_attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """Extra fixed TaskRouter task attributes (merged under the routing fields)."""
    dial: str | None = Field(default=None, min_length=1)
    """A phone number (E.164, `+44…`) or SIP address (`sip:agent@pbx.example.com`) to `<Dial>`."""
    timeout: int = Field(default=30, ge=5, le=600)
    """`<Dial>` seconds before no-answer; `<Task>` timeout with TaskRouter."""

    @model_validator(mode="after")
    def _one_target(self) -> TwilioQueue:
        targets = [t for t in (self.enqueue, self.workflow_sid, self.dial) if t is not None]
        if len(targets) != 1:
            raise ValueError("give exactly one of enqueue, workflow_sid, dial")
        if self.dial is not None and not (
            re.fullmatch(r"\+[1-9]\d{6,14}", self.dial) or self.dial.startswith("sip:")
        ):
            raise ValueError(f"dial '{self.dial}' is neither an E.164 number nor a sip: address")
        return self


class BusinessHours(FlowModel):
    """When a queue is staffed, in its own time zone."""

    timezone: str = "UTC"
    """IANA time zone name, e.g. `Europe/London`."""
    open: dict[Weekday, str] = Field(min_length=1)
    """Day → `HH:MM-HH:MM` (24 h, end exclusive, `24:00` allowed); days not listed are closed."""
    closed_dates: list[date] = Field(default_factory=list)
    """Public holidays and other whole days closed."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("open")
    @classmethod
    def _spans(cls, value: dict[Weekday, str]) -> dict[Weekday, str]:
        for day, span in value.items():
            match = _SPAN.match(span)
            if match is None or span[:5] >= span[6:]:
                raise ValueError(f"{day}: '{span}' is not HH:MM-HH:MM with start before end")
        return value

    def is_open(self, now: datetime) -> bool:
        """Whether `now` (timezone-aware) falls in the opening hours."""
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.closed_dates:
            return False
        span = self.open.get(WEEKDAYS[local.weekday()])
        if span is None:
            return False
        start = time.fromisoformat(span[:5])
        end = span[6:]
        clock = local.time().replace(tzinfo=None)
        return clock >= start and (end == "24:00" or clock < time.fromisoformat(end))


class OutOfHours(FlowModel):
    """What a caller gets when the queue is closed: another queue, or a message and a
    voicemail-style callback request."""

    message: str = wording.QUEUE_CLOSED
    """Said (by Twilio `<Say>`) before the callback recording or the other queue."""
    queue: str | None = None
    """Send the call to this queue instead (its own hours apply)."""
    callback: bool = True
    """Without `queue`: record the caller's name and number after a beep (`<Record>`)."""
    max_recording_secs: int = Field(default=60, ge=5, le=600)


class Queue(FlowModel):
    """A group of humans a call can be handed to."""

    twilio: TwilioQueue | None = None
    """Twilio routing; without it the queue name is used as the `<Enqueue>` name."""
    priority: int = Field(default=0, ge=0, le=100)
    """Higher numbers are answered first where the contact centre supports priorities."""
    skills: list[str] = Field(default_factory=list)
    """Skills an agent needs (TaskRouter `skills` attribute)."""
    hours: BusinessHours | None = None
    """Opening hours; without them the queue is always open."""
    out_of_hours: OutOfHours = Field(default_factory=OutOfHours)
    overflow: str | None = None
    """Queue to try when this one is full or its target does not answer."""


class EmotionMatch(FlowModel):
    label: str
    """Emotion label from the emotion detector (e.g. `angry`, `distressed`)."""
    min_intensity: float = Field(default=0.0, ge=0.0, le=1.0)


class RuleWhen(FlowModel):
    """Conditions of a routing rule; all given ones must hold."""

    intent: list[str] = Field(default_factory=list)
    """Any of these intents (the caller's last recognised intent)."""
    reason: list[str] = Field(default_factory=list)
    """Any of these transfer reasons, matched as prefixes (`backend_fault` matches
    `backend_fault:stt`)."""
    slots: dict[str, str] = Field(default_factory=dict)
    """Slot name → value it must equal (case-insensitive)."""
    emotion: EmotionMatch | None = None
    vip: bool | None = None
    """Whether the caller is on the VIP list."""


class RoutingRule(FlowModel):
    """First rule whose `when` holds picks the queue."""

    when: RuleWhen
    queue: str
    priority: int | None = Field(default=None, ge=0, le=100)
    """Overrides the queue's priority."""
    bypass_hours: bool = False
    """Ignore the queue's opening hours (crisis lines)."""


class VipList(FlowModel):
    """Callers treated as VIP: by caller ID here, or by an account tier a webhook stored in a
    slot (`tier_slot`, e.g. filled by the account lookup)."""

    callers: list[str] = Field(default_factory=list)
    """E.164 caller IDs (`+447700900123`)."""
    tier_slot: str | None = None
    tier_values: list[str] = Field(default_factory=lambda: ["gold", "platinum", "vip"])
    queue: str | None = None
    """Queue for VIPs when no rule matched first; default: the queue the call was going to."""
    priority_boost: int = Field(default=10, ge=0, le=100)


class Routing(FlowModel):
    """How transfers pick their queue: rules in order, then VIP, then the flow's choice."""

    rules: list[RoutingRule] = Field(default_factory=list)
    vip: VipList = Field(default_factory=VipList)
