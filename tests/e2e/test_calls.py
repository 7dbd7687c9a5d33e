"""Whole calls over a real websocket with real webrtcvad, pocketsphinx and espeak-ng."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DEMO_AUDIO
from tests.e2e.conftest import SPEED, CallRunner, audio, events, node_path, wait_for_end
from tests.twilio.test_wire import BROKEN_CAPTURES, TARGETED_KINDS
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.speech.grammar import NO_PHRASES
from voicebot.tools import demo_backend
from voicebot.tools.demo import demo_scenario, local_server
from voicebot.tools.simulator import fuzz
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import (
    BargeIn,
    DropSocket,
    HangUp,
    Keys,
    RawFrames,
    Scenario,
    Speak,
)

pytestmark = pytest.mark.e2e


async def test_happy_path_balance_enquiry(call: CallRunner) -> None:
    result, record = await call(demo_scenario(DEMO_AUDIO))

    assert result.error is None
    assert record["end_reason"] == "completed"
    assert node_path(record) == [
        "greet",
        "collect_account",
        "collect_pin",
        "lookup_balance",  # the PIN's turn ends waiting for the billing system
        "ask_anything_else",
        "goodbye",
    ]
    said = [e["transcript"] for e in events(record, "caller_said")]
    # The account number is sensitive: what the caller said for it is masked in the record.
    assert said[:2] == ["check my balance", "****"]
    # The grammar holds many phrasings of yes and no; any of the right one will do.
    assert said[2] == "****"  # the yes to a sensitive read-back is masked with it
    assert said[3] in NO_PHRASES
    slots = {s["slot"]: s["value"] for s in events(record, "slot_set")}
    assert slots["account_number"] == "****"
    assert slots["pin"] == "****"
    replies = " ".join(e["text"] for e in events(record, "bot_said"))
    assert "2 3 4 5, 3 5 8 3" not in replies  # the read-back is spoken, recorded masked
    assert "Your balance is 42 pounds 10, due on" in replies  # from the billing webhook
    (lookup,) = events(record, "webhook")
    assert lookup["ok"] is True and lookup["node"] == "lookup_balance"
    assert replies.endswith("Goodbye.")
    assert len(result.latencies_ms) == 5
    assert result.ended_by == "bot"


async def test_keyed_account_number(call: CallRunner) -> None:
    scenario = Scenario(
        "keyed_account",
        (
            Speak(audio("check_my_balance")),
            Keys("12345678"),
            Speak(audio("yes")),
            Keys("4321#"),
            Speak(audio("no")),
        ),
    )
    result, record = await call(scenario)

    assert result.error is None
    assert record["end_reason"] == "completed"
    slots = {s["slot"]: s["value"] for s in events(record, "slot_set")}
    assert slots["account_number"] == "****"
    assert slots["pin"] == "****"
    # Digits keyed into a sensitive slot (account number and PIN) never reach the record.
    keyed = [e["digit"] for e in events(record, "caller_keyed")]
    assert keyed[:12] == ["****"] * 12  # the PIN's "#" terminator is not sensitive
    # Anywhere in the record, as text or a whole number; floats (timestamps, confidences) are
    # skipped: "at": 1796180752.432187 holds the digits 4321 by chance (seen in CI).
    leaks = [v for v in values(record) if not isinstance(v, float)
             and any(secret in str(v) for secret in ("4321", "12345678"))]  # fmt: skip
    assert leaks == []


def values(node: Any) -> Iterator[Any]:
    """Every scalar in a JSON-like record (dict keys included)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from values(value)
    elif isinstance(node, list):
        for item in node:
            yield from values(item)
    else:
        yield node


async def test_no_match_reprompts_then_continues(call: CallRunner) -> None:
    scenario = Scenario(
        "no_match_then_menu",
        (Speak(audio("out_of_grammar")), Speak(audio("check_my_balance")), HangUp()),
    )
    result, record = await call(scenario)

    first, second = events(record, "caller_said")
    assert first["outcome"] == "no_match"
    assert first["next_node"] == "greet"
    assert second["intent"] == "check_balance"
    assert second["next_node"] == "collect_account"
    assert any("Sorry" in e["text"] for e in events(record, "bot_said"))
    assert record["end_reason"] == "caller_hung_up"


async def test_caller_asks_for_agent(call: CallRunner) -> None:
    result, record = await call(Scenario("agent", (Speak(audio("agent")),)))

    assert result.error is None
    (transfer,) = events(record, "transfer")
    assert transfer["queue"] == "general"
    assert transfer["reason"] == "caller_asked_for_agent"
    assert record["end_reason"] == "transferred"
    assert result.ended_by == "bot"


async def test_barge_in_stops_the_bot_mid_prompt(call: CallRunner) -> None:
    # The caller talks over the greeting: the bot must send `clear` and act on what was said.
    # The 300 ms target is measured by bench/latency.py; a shared CI machine only shows that
    # the bot stopped well before its 6-second greeting would have ended.
    result, record = await call(Scenario("barge_in", (BargeIn(audio("agent"), after_ms=1000),)))

    assert result.clears >= 1
    barge = result.turns[0].barge_in_ms
    assert barge is not None and barge <= 1500, barge
    assert events(record, "barge_in")[0]["by"] == "speech"
    assert events(record, "transfer")[0]["reason"] == "caller_asked_for_agent"


async def test_malformed_frames_are_dropped_and_the_call_goes_on(call: CallRunner) -> None:
    broken = tuple(data for data, _kind in BROKEN_CAPTURES.values())
    media_first = json.dumps({"event": "media", "media": {"payload": "/w=="}})
    scenario = Scenario(
        "malformed_frames",
        (RawFrames(broken), Speak(audio("check_my_balance")), HangUp()),
        before_start=(media_first, "not json"),
    )
    result, record = await call(scenario)

    (said,) = events(record, "caller_said")
    assert said["intent"] == "check_balance"
    (bad,) = events(record, "bad_frames")
    assert bad["counts"] == {
        "before_start": 1,
        "not_json": 2,
        "not_object": 1,
        "bad_base64": 1,
        "missing_field": 3,
        "bad_field": 2,
        "unknown_event": 1,
        "binary_frame": 1,
        "oversized_frame": 1,
    }
    assert record["end_reason"] == "caller_hung_up"


async def test_frames_that_once_ended_calls_are_dropped_mid_call_and_before_start(
    call: CallRunner,
) -> None:
    # Each shape once escaped the parser: mid-call it dropped the call, before `start` it
    # raised an ASGI traceback and left no call record.
    shapes = tuple(fuzz.TARGETED.values())
    scenario = Scenario(
        "targeted_malformed_frames",
        (RawFrames(shapes), Speak(audio("check_my_balance")), HangUp()),
        before_start=shapes,
    )
    result, record = await call(scenario)

    assert result.error is None
    (said,) = events(record, "caller_said")
    assert said["intent"] == "check_balance"  # the transport kept reading after every shape
    (bad,) = events(record, "bad_frames")
    expected = Counter(TARGETED_KINDS.values())
    assert bad["counts"] == {kind: 2 * count for kind, count in expected.items()}
    assert record["end_reason"] == "caller_hung_up"


async def test_caller_hangs_up_mid_sentence(call: CallRunner) -> None:
    tasks_before = len(asyncio.all_tasks())
    scenario = Scenario("hang_up_mid_sentence", (HangUp(audio("check_my_balance"), after_ms=400),))
    result, record = await call(scenario)

    assert record["end_reason"] == "caller_hung_up"
    assert events(record, "twilio_stop")
    await asyncio.sleep(0.5)
    assert len(asyncio.all_tasks()) <= tasks_before, [t.get_name() for t in asyncio.all_tasks()]


async def test_socket_drop_ends_the_call_with_its_reason(call: CallRunner) -> None:
    result, record = await call(
        Scenario("socket_drop", (Speak(audio("check_my_balance")), DropSocket()))
    )

    assert record["end_reason"] == "stream_dropped"
    assert not events(record, "twilio_stop")


async def test_a_slow_billing_system_gets_a_holding_phrase_before_its_answer(
    settings: Settings, speech: EmbeddedSpeechStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1.2 s: past the 1 s holding point, inside the flow's 1.5 s timeout.
    with demo_backend.BillingBackend(delay_secs=1.2) as url:
        monkeypatch.setenv(demo_backend.ENV_VAR, url)
        ctx = build_context(settings, host="127.0.0.1", speech=speech)
        async with local_server(ctx, billing_backend=False) as server:
            result = await CallerSimulator(server.stream_url, speed=SPEED).run(
                demo_scenario(DEMO_AUDIO)
            )
            record = await wait_for_end(server, result.call_sid)
    kinds = [e["kind"] for e in record["events"]]
    assert "holding_phrase" in kinds, kinds
    (held,) = events(record, "holding_phrase")
    (lookup,) = events(record, "webhook")
    assert held["node"] == lookup["node"] == "lookup_balance" and held["backend"] == "webhook"
    assert kinds.index("holding_phrase") < kinds.index("webhook")  # heard while waiting
    assert lookup["ok"] is True and lookup["ms"] >= 1200
    assert record["end_reason"] == "completed"


async def test_a_quick_billing_system_gets_no_holding_phrase(call: CallRunner) -> None:
    result, record = await call(demo_scenario(DEMO_AUDIO))
    assert events(record, "webhook") and not events(record, "holding_phrase")
