"""Malformed Media Streams frames: targeted shapes that once ended calls, and random mutations.

Used by the robustness campaign (`bench/robustness.py`) and its bounded test; every frame here
must be counted and dropped by the server while the call goes on.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator

STREAM_SID = "MZ00000000000000000000000000000000"


def _media(media_fields: str) -> str:
    """A media frame's text with `media_fields` pasted in raw (json.dumps cannot write most
    of these shapes)."""
    return f'{{"event": "media", "streamSid": "{STREAM_SID}", "media": {{{media_fields}}}}}'


PAYLOAD = base64.b64encode(b"\xff" * 160).decode("ascii")

# name -> frame text. Each one raised past the old parser and dropped the call.
TARGETED: dict[str, str] = {
    "int_over_4300_digits": _media(f'"chunk": {"7" * 5000}, "payload": "{PAYLOAD}"'),
    "int_string_over_4300_digits": _media(f'"chunk": "{"7" * 5000}", "payload": "{PAYLOAD}"'),
    "infinity_in_number": _media(f'"timestamp": Infinity, "payload": "{PAYLOAD}"'),
    "minus_infinity_in_number": _media(f'"timestamp": -Infinity, "payload": "{PAYLOAD}"'),
    "huge_exponent_in_number": _media(f'"chunk": 1e999, "payload": "{PAYLOAD}"'),
    "nan_in_number": _media(f'"chunk": NaN, "payload": "{PAYLOAD}"'),
    "float_string_in_number": _media(f'"chunk": "1e999", "payload": "{PAYLOAD}"'),
    "nested_20000_deep": _media('"payload": ' + "[" * 20_000 + "]" * 20_000),
    "nested_objects_deep": '{"event": "media", "media": ' + '{"a": ' * 5_000 + "1" + "}" * 5_001,
    "non_ascii_in_base64": _media('"payload": "//8\u00e9//8="'),
    "lone_surrogate_in_base64": _media('"payload": "//8\\ud800"'),
    "track_not_a_string": _media(f'"track": {{"a": [1]}}, "payload": "{PAYLOAD}"'),
    "dtmf_digit_an_object": '{"event": "dtmf", "dtmf": {"digit": {"d": "1"}}}',
    "mark_name_a_list": '{"event": "mark", "mark": {"name": ["x"]}}',
    "event_a_list": '{"event": ["media"], "media": {}}',
    "start_params_nested": (
        '{"event": "start", "start": {"streamSid": "MZ1", "callSid": "CA1", '
        '"customParameters": {"flow": {"deep": [1, 2]}}}}'
    ),
    "start_sample_rate_infinite": (
        '{"event": "start", "start": {"streamSid": "MZ1", "callSid": "CA1", '
        '"mediaFormat": {"sampleRate": 1e999}}}'
    ),
    "truncated_utf8_escape": _media('"payload": "\\u12"'),
    "empty_frame": "",
}


def media_frame(payload: bytes, chunk: int) -> str:
    return json.dumps(
        {
            "event": "media",
            "streamSid": STREAM_SID,
            "media": {
                "track": "inbound",
                "chunk": str(chunk),
                "timestamp": str(chunk * 20),
                "payload": base64.b64encode(payload).decode("ascii"),
            },
        }
    )


_SPLICES = (
    "Infinity", "NaN", "1e999", "-0", "7" * 4400, '"\\ud800"', "null", "true", "[]", "{}",
    '"\u00e9"', "[" * 300, "}" * 3, '"', "\\", ",", ":", "\x00",
)  # fmt: skip


def mutate(frame: str, rng: random.Random) -> str:
    """One random mutation of a valid frame: bytes flipped, cut, spliced, duplicated or a
    hostile literal dropped in at a random place."""
    choice = rng.randrange(6)
    if not frame:
        return rng.choice(_SPLICES)
    at = rng.randrange(len(frame))
    if choice == 0:  # flip a few characters
        chars = list(frame)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars))
            chars[i] = chr(rng.choice((rng.randrange(32, 127), rng.randrange(128, 0x3000))))
        return "".join(chars)
    if choice == 1:  # truncate
        return frame[:at]
    if choice == 2:  # splice a hostile literal in
        return frame[:at] + rng.choice(_SPLICES) + frame[at:]
    if choice == 3:  # replace a value-looking token
        return frame.replace('"inbound"', rng.choice(_SPLICES), 1).replace(
            '"1"', rng.choice(_SPLICES), 1
        )
    if choice == 4:  # duplicate a slice
        end = rng.randrange(at, len(frame) + 1)
        return frame[:end] + frame[at:end] * rng.randint(1, 50) + frame[end:]
    return rng.choice(list(TARGETED.values()))


def mutated_frames(
    rng: random.Random, count: int, payload: bytes = b"\xff" * 160, media_and_marks: bool = False
) -> Iterator[str]:
    """`count` mutations of ordinary media, DTMF and mark frames; with `media_and_marks`,
    no DTMF (a mutation that stays a valid key would steer the call, not break it)."""
    bases: tuple[str, ...] = (
        media_frame(payload, 1),
        '{"event": "mark", "streamSid": "MZ1", "mark": {"name": "x"}}',
    )
    if not media_and_marks:
        bases += (
            '{"event": "dtmf", "streamSid": "MZ1", '
            '"dtmf": {"track": "inbound_track", "digit": "1"}}',
        )
    for _ in range(count):
        yield mutate(rng.choice(bases), rng)
