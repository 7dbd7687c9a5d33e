"""Twilio Media Streams frames: real message shapes parse; broken captures fail by kind."""

from __future__ import annotations

import base64
import json

import pytest

from voicebot.exceptions import WireError
from voicebot.twilio import wire

STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0"
START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": "AC123",
        "streamSid": STREAM,
        "callSid": "CA123",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"caller": "+441234567890", "flow": "acme_support"},
    },
    "streamSid": STREAM,
}
MEDIA = {
    "event": "media",
    "sequenceNumber": "3",
    "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": "//////////8="},
    "streamSid": STREAM,
}


def test_start_carries_ids_and_custom_parameters() -> None:
    start = wire.parse_message(json.dumps(START))
    assert start == wire.Start(
        stream_sid=STREAM,
        call_sid="CA123",
        account_sid="AC123",
        custom_parameters={"caller": "+441234567890", "flow": "acme_support"},
    )


def test_media_numbers_arrive_as_strings() -> None:
    media = wire.parse_message(json.dumps(MEDIA))
    assert media == wire.Media(payload=b"\xff" * 8, chunk=1, timestamp_ms=5, track="inbound")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"event": "connected", "protocol": "Call", "version": "1.0.0"}, wire.Connected("Call")),
        (
            {
                "event": "dtmf",
                "streamSid": STREAM,
                "dtmf": {"track": "inbound_track", "digit": "7"},
            },
            wire.Dtmf("7"),
        ),
        ({"event": "mark", "streamSid": STREAM, "mark": {"name": "say-1"}}, wire.Mark("say-1")),
        ({"event": "stop", "streamSid": STREAM, "stop": {"callSid": "CA123"}}, wire.Stop()),
    ],
)
def test_other_events(message: dict[str, object], expected: wire.Message) -> None:
    assert wire.parse_message(json.dumps(message)) == expected


BROKEN_CAPTURES: dict[str, tuple[str | bytes, str]] = {
    "frame_not_json": ("{not json", "not_json"),
    "frame_is_json_list": (json.dumps([MEDIA]), "not_object"),
    "media_payload_not_base64": (
        json.dumps({**MEDIA, "media": {**MEDIA["media"], "payload": "%%%not-base64%%%"}}),  # type: ignore[dict-item]
        "bad_base64",
    ),
    "media_without_payload": (json.dumps({"event": "media", "media": {}}), "missing_field"),
    "media_object_missing": (json.dumps({"event": "media"}), "missing_field"),
    "start_without_call_sid": (
        json.dumps({"event": "start", "start": {"streamSid": STREAM}}),
        "missing_field",
    ),
    "dtmf_not_a_key": (json.dumps({"event": "dtmf", "dtmf": {"digit": "x"}}), "bad_field"),
    "chunk_not_a_number": (
        json.dumps({**MEDIA, "media": {**MEDIA["media"], "chunk": "one"}}),  # type: ignore[dict-item]
        "bad_field",
    ),
    "unknown_event": (json.dumps({"event": "dance"}), "unknown_event"),
    "binary_frame": (b"\x00\x01binary", "binary_frame"),
    "one_megabyte_frame": (
        json.dumps({"event": "media", "pad": "x" * 1_000_000}),
        "oversized_frame",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_CAPTURES))
def test_broken_captures_fail_with_their_kind(name: str) -> None:
    data, kind = BROKEN_CAPTURES[name]
    with pytest.raises(WireError) as caught:
        wire.parse_message(data)
    assert caught.value.kind == kind


def test_outbound_messages_are_only_media_mark_clear() -> None:
    media = json.loads(wire.media_message(STREAM, b"\xff\x7f"))
    assert media == {
        "event": "media",
        "streamSid": STREAM,
        "media": {"payload": base64.b64encode(b"\xff\x7f").decode()},
    }
    assert wire.mark_message(STREAM, "say-1") == {
        "event": "mark",
        "streamSid": STREAM,
        "mark": {"name": "say-1"},
    }
    assert json.loads(wire.clear_message(STREAM)) == {"event": "clear", "streamSid": STREAM}
