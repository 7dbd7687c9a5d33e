"""Every piece of TwiML voicebot answers Twilio with: connect the call to our stream, hang up,
and hand a call to a queue (`<Enqueue>`, TaskRouter `<Enqueue workflowSid>` with a `<Task>`,
`<Dial>` a number or SIP address, or the out-of-hours callback recording)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from twilio.twiml.voice_response import Connect, Dial, Enqueue, VoiceResponse

from voicebot.flows.queues import Queue
from voicebot.flows.routing import RouteDecision
from voicebot.language import wording

AttributeValue = str | int | float | bool | list[str] | None

FAULT_APOLOGY_PATH = "/twilio/audio/fault-apology.wav"
"""Where voicebot serves its backend-fault apology (the audio made at start-up) for `<Play>`."""


def connect_stream(stream_url: str, action_url: str, parameters: dict[str, str]) -> str:
    """`<Connect action><Stream url><Parameter…/></Stream></Connect><Hangup/>`.

    The stream URL takes no query string, so per-call data travels as `<Parameter>`s and
    arrives in the `start` message's customParameters.
    """
    response = VoiceResponse()
    connect = Connect(action=action_url)
    stream = connect.stream(url=stream_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def result_url(base_url: str, queue: str, **extra: str) -> str:
    """Where Twilio reports how the queue went (`/twilio/queue-result`): overflow starts there."""
    return f"{base_url.rstrip('/')}/twilio/queue-result?{urlencode({'queue': queue, **extra})}"


def transfer_twiml(
    decision: RouteDecision,
    queues: Mapping[str, Queue],
    attributes: Mapping[str, AttributeValue],
    base_url: str | None,
    apology: str | None = None,
    apology_audio: bool = False,
) -> str:
    """TwiML for `decision`; `attributes` become the TaskRouter task's attributes.

    `base_url` (the server's public URL) adds the result callbacks that drive overflow and
    callback recordings; without it the TwiML has no action URLs (Twilio then hangs up after
    the queue, which is what local and replay runs need).

    `apology`: said first, by Twilio, as the stream ends (a backend-fault transfer is sent
    at once rather than after voicebot has played its words). With `apology_audio` and a
    `base_url` it is `<Play>` of voicebot's own start-up recording of the standard apology
    (FAULT_APOLOGY_PATH), else `<Say>` of the text.
    """
    response = VoiceResponse()
    if apology is not None:
        if apology_audio and base_url:
            response.play(f"{base_url.rstrip('/')}{FAULT_APOLOGY_PATH}")
        else:
            response.say(apology)
    if decision.message:
        response.say(decision.message)
    if decision.action == "callback":
        queue = queues[decision.queue]
        response.say(wording.LEAVE_A_MESSAGE)
        action = result_url(base_url, decision.queue, callback="1") if base_url else None
        response.record(
            action=action, max_length=queue.out_of_hours.max_recording_secs, play_beep=True
        )
        response.hangup()
        return str(response)
    append_target(response, decision.queue, queues[decision.queue], decision, attributes, base_url)
    return str(response)


def overflow_twiml(
    queue_name: str,
    queues: Mapping[str, Queue],
    decision: RouteDecision,
    attributes: Mapping[str, AttributeValue],
    base_url: str | None,
) -> str:
    response = VoiceResponse()
    append_target(response, queue_name, queues[queue_name], decision, attributes, base_url)
    return str(response)


def append_target(
    response: VoiceResponse,
    name: str,
    queue: Queue,
    decision: RouteDecision,
    attributes: Mapping[str, AttributeValue],
    base_url: str | None,
) -> None:
    action = result_url(base_url, name) if base_url else None
    target = queue.twilio
    if target is not None and target.dial is not None:
        dial = Dial(action=action, timeout=target.timeout)
        if target.dial.startswith("sip:"):
            dial.sip(target.dial)
        else:
            dial.number(target.dial)
        response.append(dial)
    elif target is not None and target.workflow_sid is not None:
        enqueue = Enqueue(workflow_sid=target.workflow_sid, action=action)
        task = {**target.task_attributes, **attributes}
        enqueue.task(
            json.dumps(task, separators=(",", ":"), sort_keys=True),
            priority=decision.priority,
            timeout=target.timeout,
        )
        response.append(enqueue)
    else:
        queue_name = target.enqueue if target is not None and target.enqueue else name
        response.append(Enqueue(queue_name, action=action))
