"""Twilio Media Streams messages as pure dataclasses, parsed strictly from the wire.

`parse_message` turns one websocket frame into a message or raises `WireError` whose `kind`
names what was wrong (used to count and log bad frames once per kind).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from voicebot.exceptions import WireError

# A real media frame is ~300 bytes (20 ms of μ-law); anything this big is not Twilio.
MAX_FRAME_BYTES = 64 * 1024


@dataclass(frozen=True)
class Connected:
    protocol: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str = ""
    custom_parameters: dict[str, str] = field(default_factory=dict)
    encoding: str = "audio/x-mulaw"
    sample_rate: int = 8000


@dataclass(frozen=True)
class Media:
    payload: bytes
    """μ-law audio, 8 kHz mono."""
    chunk: int = 0
    timestamp_ms: int = 0
    track: str = "inbound"


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Stop:
    pass


Message = Connected | Start | Media | Dtmf | Mark | Stop

DTMF_DIGITS = frozenset("0123456789*#")


def _obj(message: dict[str, Any], key: str) -> dict[str, Any]:
    value = message.get(key)
    if not isinstance(value, dict):
        raise WireError("missing_field", f"'{key}' object missing")
    return value


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise WireError("missing_field", f"field '{key}' missing or not a string")
    return value


def _int(obj: dict[str, Any], key: str, default: int = 0) -> int:
    # Twilio sends numbers as strings ("chunk": "12"); accept both.
    value = obj.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WireError("bad_field", f"field '{key}' is not a number") from None


def parse_message(data: str | bytes) -> Message | None:
    """Parse one inbound frame; None for a well-formed event voicebot does not use."""
    if isinstance(data, bytes):
        raise WireError("binary_frame", "binary frame (Twilio sends JSON text)")
    if len(data) > MAX_FRAME_BYTES:
        raise WireError("oversized_frame", f"frame of {len(data)} bytes")
    try:
        message = json.loads(data)
    except json.JSONDecodeError:
        raise WireError("not_json", "frame is not JSON") from None
    if not isinstance(message, dict):
        raise WireError("not_object", "frame is JSON but not an object")
    event = message.get("event")
    if event == "media":
        media = _obj(message, "media")
        try:
            payload = base64.b64decode(_str(media, "payload"), validate=True)
        except binascii.Error:
            raise WireError("bad_base64", "media payload is not base64") from None
        return Media(
            payload=payload,
            chunk=_int(media, "chunk"),
            timestamp_ms=_int(media, "timestamp"),
            track=str(media.get("track", "inbound")),
        )
    if event == "dtmf":
        digit = _str(_obj(message, "dtmf"), "digit")
        if digit not in DTMF_DIGITS:
            raise WireError("bad_field", "dtmf digit is not a keypad key")
        return Dtmf(digit=digit)
    if event == "mark":
        return Mark(name=_str(_obj(message, "mark"), "name"))
    if event == "start":
        start = _obj(message, "start")
        params = start.get("customParameters") or {}
        media_format = start.get("mediaFormat") or {}
        if not isinstance(params, dict) or not isinstance(media_format, dict):
            raise WireError("bad_field", "start.customParameters/mediaFormat not objects")
        return Start(
            stream_sid=_str(start, "streamSid"),
            call_sid=_str(start, "callSid"),
            account_sid=str(start.get("accountSid", "")),
            custom_parameters={str(k): str(v) for k, v in params.items()},
            encoding=str(media_format.get("encoding", "audio/x-mulaw")),
            sample_rate=_int(media_format, "sampleRate", 8000),
        )
    if event == "stop":
        return Stop()
    if event == "connected":
        return Connected(protocol=str(message.get("protocol", "")))
    raise WireError("unknown_event", "unknown event")


# Outbound: Twilio accepts only media, mark and clear (anything else is error 31924).


def media_message(stream_sid: str, ulaw: bytes) -> str:
    payload = base64.b64encode(ulaw).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> dict[str, Any]:
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
