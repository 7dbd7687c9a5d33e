"""What Twilio hears when the media stream ends (`<Connect action>`) or a queue reports back.

- The call had a transfer the REST API did not carry out: answer its stored TwiML.
- The stream ended mid-call (socket drop, crash): route the caller to the queue that fits
  where they were, instead of dropping them.
- The call finished normally: hang up.
- A queue was full or its target did not answer: its overflow queue, else hang up politely.

Everything comes from the store, the flow too (the version the call started on), so any
worker answers for a call another one ran, as that one would have. With the store away the
caller is queued to the default flow's first queue: better a person than a dropped call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from loguru import logger
from twilio.twiml.voice_response import VoiceResponse

from voicebot.exceptions import StoreUnavailable
from voicebot.flows.flow import Flow
from voicebot.flows.routing import RouteDecision, queues_of
from voicebot.language.wording import NOBODY_FREE
from voicebot.server.flow_versions import FlowVersions
from voicebot.settings import Settings
from voicebot.storage.calls import CallStore
from voicebot.transfer.service import CallTransfers, dropped_call_transfer
from voicebot.twilio.twiml import hang_up, overflow_twiml

# Twilio may ask before the call's own task has written its end reason.
END_REASON_WAIT_SECS = 1.0
# End reasons after which the caller is routed to a person rather than hung up on.
UNEXPECTED_ENDS = {"stream_dropped", None}
# Queue results that mean nobody took the call (Enqueue QueueResult, Dial DialCallStatus).
NOT_ANSWERED = {"queue-full", "system-error", "error", "busy", "no-answer", "failed"}


async def after_stream_twiml(
    store: CallStore,
    flows: Mapping[str, Flow],
    settings: Settings,
    call_sid: str,
    base_url: str | None,
    now: datetime | None = None,
    caller: str | None = None,
    versions: FlowVersions | None = None,
) -> str:
    """`caller`: the `From` Twilio posts (the record keeps only a masked caller ID), so a
    dropped VIP caller is still routed as a VIP. `versions`: where the call's own flow
    version is found (without it, the live flow of the call's name)."""
    versions = versions or FlowVersions(store)
    try:
        return await _after_stream(
            store, flows, settings, call_sid, base_url, now, caller, versions
        )
    except StoreUnavailable as error:
        logger.bind(call_sid=call_sid).warning(f"after-stream without the store: {error}")
        record = {"call_sid": call_sid, "flow": settings.flow, "events": []}
        return _dropped(store, flows, settings, record, base_url, now, caller, versions)


async def _after_stream(
    store: CallStore,
    flows: Mapping[str, Flow],
    settings: Settings,
    call_sid: str,
    base_url: str | None,
    now: datetime | None,
    caller: str | None,
    versions: FlowVersions,
) -> str:
    handoff = store.call_handoff(call_sid)
    if handoff is None:
        record = store.get_call(call_sid)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + END_REASON_WAIT_SECS
        while record is not None and record["end_reason"] is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
            handoff = store.call_handoff(call_sid)
            if handoff is not None:
                break
            record = store.get_call(call_sid)
        if handoff is None:
            if record is None and call_sid and settings.flow in flows:
                record = _stream_never_started(store, settings.flow, call_sid, caller)
            if record is None or record["end_reason"] not in UNEXPECTED_ENDS:
                return hang_up()
            return _dropped(store, flows, settings, record, base_url, now, caller, versions)
    if handoff["status"] == "rest_redirected":
        return hang_up()  # Twilio already moved the call; this request is stale
    store.set_handoff_status(handoff["packet"]["id"], "after_stream")
    store.add_event(
        call_sid, "transfer_via", method="after_stream", handoff=handoff["packet"]["id"]
    )
    return str(handoff["twiml"])


def _dropped(
    store: CallStore,
    flows: Mapping[str, Flow],
    settings: Settings,
    record: Mapping[str, Any],
    base_url: str | None,
    now: datetime | None,
    caller: str | None,
    versions: FlowVersions,
) -> str:
    """Route a call whose stream ended mid-call by the flow version it ran on."""
    found = versions.flow_of_call(record, flows, settings.flow)
    if found is None:
        return hang_up()
    flow_name, flow = found
    call_sid = str(record["call_sid"])
    transfers = CallTransfers(
        flow_name=flow_name,
        flow=flow,
        call_sid=call_sid,
        caller=caller,
        store=store,
        settings=settings,
        base_url=base_url,
        clock=(lambda: now) if now is not None else None,
    )
    prepared = transfers.prepare(dropped_call_transfer(flow, record))
    store.set_handoff_status(prepared.packet.id, "after_stream")
    store.add_event(call_sid, "transfer_via", method="after_stream", dropped=True)
    return prepared.twiml


def _stream_never_started(
    store: CallStore, flow: str, call_sid: str, caller: str | None
) -> dict[str, Any] | None:
    """A call Twilio connected whose stream never delivered a usable `start` (it closed, or
    sent only frames voicebot could not read): the caller heard nothing, so they go to a
    person like any dropped call, and the record says why."""
    store.start_call(call_sid, "", flow, caller)
    store.add_event(call_sid, "stream_never_started")
    store.end_call(call_sid, "stream_dropped")
    return store.get_call(call_sid)


def queue_result_twiml(
    store: CallStore,
    flows: Mapping[str, Flow],
    call_sid: str,
    queue: str,
    form: Mapping[str, str],
    base_url: str | None,
    versions: FlowVersions | None = None,
) -> str:
    """Twilio's report from `<Enqueue action>`/`<Dial action>`/`<Record action>`; the
    overflow comes from the flow version the call started on."""
    result = form.get("QueueResult") or form.get("DialCallStatus") or ""
    if form.get("RecordingUrl"):
        store.add_event(call_sid, "callback_requested", queue=queue, recording=form["RecordingUrl"])
        return hang_up()
    store.add_event(call_sid, "queue_result", queue=queue, result=result)
    try:
        record = store.get_call(call_sid)
        handoff = store.call_handoff(call_sid)
    except StoreUnavailable as error:  # nothing to route by: Twilio's own result stands
        logger.bind(call_sid=call_sid).warning(f"queue-result without the store: {error}")
        return hang_up()
    found = None
    if record is not None:
        versions = versions or FlowVersions(store)
        found = versions.flow_of_call(record, flows, str(record["flow"]))
    flow = found[1] if found else None
    if result not in NOT_ANSWERED or flow is None or handoff is None:
        return hang_up()
    queues = queues_of(flow)
    overflow = queues[queue].overflow if queue in queues else None
    if overflow is None:
        response = VoiceResponse()
        response.say(NOBODY_FREE)
        response.hangup()
        return str(response)
    packet = handoff["packet"]
    decision = RouteDecision(
        queue=overflow,
        requested_queue=packet["requested_queue"],
        reason=packet["reason"],
        priority=int(packet["priority"]),
        action="queue",
        vip=bool(packet["vip"]),
    )
    attributes = {
        "call_sid": call_sid,
        "handoff_id": packet["id"],
        "queue": overflow,
        "reason": packet["reason"],
        "priority": decision.priority,
        "vip": decision.vip,
        "intent": packet["intent"],
        "summary": packet["summary"],
    }
    store.add_event(call_sid, "overflow", from_queue=queue, to_queue=overflow)
    return overflow_twiml(overflow, queues, decision, attributes, base_url)
