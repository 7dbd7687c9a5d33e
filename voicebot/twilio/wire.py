"""Twilio Media Streams messages as pure dataclasses, parsed strictly from the wire.

`parse_message` turns one websocket frame into a message or raises `WireError` whose `kind`
names what was wrong (used to count and log bad frames once per kind).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from typing import Any

from voicebot.exceptions import WireError

# A real media frame is ~300 bytes (20 ms of μ-law); anything this big is not Twilio.
MAX_FRAME_BYTES = 64 * 1024
# Twilio's frames hold at most a handful of objects and lists (`start` has five); counting
# brackets before parsing keeps deep nesting away from the recursive JSON parser.
MAX_BRACKETS = 64
# Twilio's numbers are small (chunk, timestamp, sample rate); a longer one is not Twilio's and
# Python refuses to convert more than 4,300 digits anyway.
MAX_NUMBER_DIGITS = 20


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


def _text(obj: dict[str, Any], key: str, default: str) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise WireError("bad_field", f"field '{key}' is not a string")
    return value


def _int(obj: dict[str, Any], key: str, default: int = 0) -> int:
    # Twilio sends numbers as strings ("chunk": "12"); accept both, but only plain integers.
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WireError("bad_field", f"field '{key}' is not a number")
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_NUMBER_DIGITS:
            raise WireError("bad_field", f"field '{key}' is not a number")
        value = int(value)
    return value


def _bad_number(text: str) -> float:
    raise WireError("bad_number", f"number {text[:12]!r} is not one Twilio sends")


def _parse_int(text: str) -> int:
    if len(text.removeprefix("-")) > MAX_NUMBER_DIGITS:
        _bad_number(text)
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999
        _bad_number(text)
    return value


def _decode_json(data: str) -> object:
    if data.count("{") + data.count("[") > MAX_BRACKETS:
        raise WireError("too_nested", "frame holds more objects and lists than Twilio sends")
    try:
        return json.loads(
            data, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_bad_number
        )
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise WireError("not_json", "frame is not JSON") from None


def parse_message(data: str | bytes) -> Message | None:
    """Parse one inbound frame; None for a well-formed event voicebot does not use.

    Raises only WireError, whatever the frame holds: a frame Twilio could not have sent is
    the caller's network or an attacker, never a reason to end the call.
    """
    try:
        return _parse(data)
    except WireError:
        raise
    except Exception as exc:  # a shape no check above foresaw: still one bad frame
        raise WireError("unparseable", f"frame could not be read ({type(exc).__name__})") from None


def _parse(data: str | bytes) -> Message | None:
    if isinstance(data, bytes):
        raise WireError("binary_frame", "binary frame (Twilio sends JSON text)")
    if not isinstance(data, str):
        raise WireError("unparseable", "frame is neither text nor binary")
    if len(data) > MAX_FRAME_BYTES:
        raise WireError("oversized_frame", f"frame of {len(data)} bytes")
    message = _decode_json(data)
    if not isinstance(message, dict):
        raise WireError("not_object", "frame is JSON but not an object")
    event = message.get("event")
    if event == "media":
        media = _obj(message, "media")
        try:
            payload = base64.b64decode(_str(media, "payload"), validate=True)
        except (binascii.Error, ValueError):  # ValueError: a character outside ASCII
            raise WireError("bad_base64", "media payload is not base64") from None
        return Media(
            payload=payload,
            chunk=_int(media, "chunk"),
            timestamp_ms=_int(media, "timestamp"),
            track=_text(media, "track", "inbound"),
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
        if any(isinstance(v, dict | list) for v in params.values()):
            raise WireError("bad_field", "start.customParameters values are not strings")
        return Start(
            stream_sid=_str(start, "streamSid"),
            call_sid=_str(start, "callSid"),
            account_sid=_text(start, "accountSid", ""),
            custom_parameters={str(k): str(v) for k, v in params.items()},
            encoding=_text(media_format, "encoding", "audio/x-mulaw"),
            sample_rate=_int(media_format, "sampleRate", 8000),
        )
    if event == "stop":
        return Stop()
    if event == "connected":
        return Connected(protocol=_text(message, "protocol", ""))
    raise WireError("unknown_event", "unknown event")


# Outbound: Twilio accepts only media, mark and clear (anything else is error 31924).


def media_message(stream_sid: str, ulaw: bytes) -> str:
    payload = base64.b64encode(ulaw).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> dict[str, Any]:
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
