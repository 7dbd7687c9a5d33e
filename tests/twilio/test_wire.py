"""Twilio Media Streams frames: real message shapes parse; broken captures fail by kind."""

from __future__ import annotations

import base64
import contextlib
import json
import random
from types import SimpleNamespace
from typing import cast

import pytest
from pipecat.frames.frames import InputAudioRawFrame, InputDTMFFrame
from pipecat.processors.frame_processor import FrameProcessorSetup

from voicebot.exceptions import WireError
from voicebot.tools.simulator import fuzz
from voicebot.twilio import wire
from voicebot.twilio.serializer import BadFrameCounter, TwilioMediaStreamSerializer

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


# The frames that ended calls before (issue 16): each is one bad frame of a stable kind.
TARGETED_KINDS = {
    "int_over_4300_digits": "bad_number",
    "int_string_over_4300_digits": "bad_field",
    "infinity_in_number": "bad_number",
    "minus_infinity_in_number": "bad_number",
    "huge_exponent_in_number": "bad_number",
    "nan_in_number": "bad_number",
    "float_string_in_number": "bad_field",
    "nested_20000_deep": "too_nested",
    "nested_objects_deep": "too_nested",
    "non_ascii_in_base64": "bad_base64",
    "lone_surrogate_in_base64": "bad_base64",
    "track_not_a_string": "bad_field",
    "dtmf_digit_an_object": "missing_field",
    "mark_name_a_list": "missing_field",
    "event_a_list": "unknown_event",
    "start_params_nested": "bad_field",
    "start_sample_rate_infinite": "bad_number",
    "truncated_utf8_escape": "not_json",
    "empty_frame": "not_json",
}


def test_every_targeted_shape_has_an_expected_kind() -> None:
    assert sorted(TARGETED_KINDS) == sorted(fuzz.TARGETED)


@pytest.mark.parametrize("name", sorted(TARGETED_KINDS))
def test_frames_that_once_ended_calls_are_one_bad_frame(name: str) -> None:
    with pytest.raises(WireError) as caught:
        wire.parse_message(fuzz.TARGETED[name])
    assert caught.value.kind == TARGETED_KINDS[name]


def test_random_mutations_raise_nothing_but_wire_errors() -> None:
    rng = random.Random(16)
    for frame in fuzz.mutated_frames(rng, 3000):
        with contextlib.suppress(WireError):
            wire.parse_message(frame)


def setup_at(audio_in: int, audio_out: int) -> FrameProcessorSetup:
    """The transport's setup as the serializer reads it: the sample rates only (a whole
    setup needs a running pipeline's clock, task manager and worker)."""
    rates = SimpleNamespace(audio_in_sample_rate=audio_in, audio_out_sample_rate=audio_out)
    return cast(FrameProcessorSetup, rates)


async def test_the_serializer_never_raises_so_pipecat_keeps_reading() -> None:
    # pipecat's transport stops reading a call at the first exception from deserialize.
    counter = BadFrameCounter("CA1")
    serializer = TwilioMediaStreamSerializer(STREAM, "CA1", counter)
    await serializer.setup(setup_at(8000, 8000))
    frames = [*fuzz.TARGETED.values(), *fuzz.mutated_frames(random.Random(17), 500)]
    for frame in frames:
        await serializer.deserialize(frame)
    assert sum(counter.counts.values()) >= len(fuzz.TARGETED)
    frames_out = [await serializer.deserialize(json.dumps(MEDIA)) for _ in range(2)]
    assert any(isinstance(frame, InputAudioRawFrame) for frame in frames_out)


async def test_caller_audio_is_passed_on_in_pairs_of_media_frames_digits_at_once() -> None:
    serializer = TwilioMediaStreamSerializer(STREAM, "CA1", BadFrameCounter("CA1"))
    await serializer.setup(setup_at(8000, 8000))
    one = base64.b64decode(MEDIA["media"]["payload"])  # type: ignore[index]
    assert await serializer.deserialize(json.dumps(MEDIA)) is None  # held for its pair
    digit = await serializer.deserialize(
        json.dumps(
            {"event": "dtmf", "streamSid": STREAM, "dtmf": {"track": "inbound_track", "digit": "5"}}
        )
    )
    assert isinstance(digit, InputDTMFFrame)
    pair = await serializer.deserialize(json.dumps(MEDIA))
    assert isinstance(pair, InputAudioRawFrame)
    assert len(pair.audio) == 2 * 2 * len(one)  # two frames of 16-bit samples, one per μ-law byte
    assert await serializer.deserialize(json.dumps(MEDIA)) is None


def test_joining_fewer_than_one_media_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TwilioMediaStreamSerializer(STREAM, "CA1", BadFrameCounter("CA1"), join=0)


async def test_a_conversion_failure_is_counted_not_raised() -> None:
    class BrokenResampler:
        async def resample(self, audio: bytes, in_rate: int, out_rate: int) -> bytes:
            raise RuntimeError("resampler gave up")

    counter = BadFrameCounter("CA1")
    serializer = TwilioMediaStreamSerializer(STREAM, "CA1", counter)
    await serializer.setup(setup_at(16000, 8000))
    serializer._input_resampler = BrokenResampler()  # type: ignore[assignment]
    assert await serializer.deserialize(json.dumps(MEDIA)) is None
    assert counter.counts == {"unconvertible": 1}
