"""Transfers in whole calls: the real server on loopback, the caller simulator speaking Media
Streams, and a fake Twilio REST API on loopback receiving the call update."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_AUDIO
from tests.e2e.conftest import SPEED, events, wait_for_end
from tests.transfer.conftest import ACCOUNT, TOKEN, Bench
from voicebot.tools.demo import LocalServer
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import DropSocket, Keys, Scenario, Silence, Speak

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("open_hours")]


def audio(name: str) -> Speak:
    return Speak(DEMO_AUDIO / f"{name}.wav")


def enqueue(queue: str, base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Enqueue action="{base}/twilio/queue-result?queue={queue}">{queue}</Enqueue></Response>'
    )


async def test_spoken_agent_request_moves_the_live_call_through_the_rest_api(bench: Bench) -> None:
    result, record = await bench.call(Scenario("agent", (audio("agent"),)))

    assert result.error is None and result.ended_by == "bot"
    [request] = bench.twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{result.call_sid}.json"
    assert (request.username, request.password) == (ACCOUNT, TOKEN)
    assert request.form == {"Twiml": enqueue("general", f"http://127.0.0.1:{bench.server.port}")}
    [via] = events(record, "transfer_via")
    assert (via["method"], via["ok"], via["attempts"]) == ("rest", True, 1)
    handoff = bench.handoff(result.call_sid)
    assert handoff["status"] == "rest_redirected"
    assert (handoff["packet"]["queue"], handoff["packet"]["reason"]) == (
        "general", "caller_asked_for_agent",
    )  # fmt: skip
    assert record["end_reason"] == "transferred"
    # The REST update moved the call: a late after-stream request must not re-queue it.
    assert (await bench.after_stream(result.call_sid)).endswith("<Hangup /></Response>")


async def test_no_match_limit_transfers_with_its_reason(bench: Bench) -> None:
    turns = (audio("out_of_grammar"),) * 3
    result, record = await bench.call(Scenario("no_match", turns))
    packet = bench.handoff(result.call_sid)["packet"]
    assert (packet["queue"], packet["reason"]) == ("general", "no_match_limit")


async def test_no_input_limit_transfers_with_its_reason(bench: Bench) -> None:
    result, record = await bench.call(Scenario("silent", (Silence(30.0),)))
    packet = bench.handoff(result.call_sid)["packet"]
    assert (packet["queue"], packet["reason"]) == ("general", "no_input_limit")


async def test_vip_caller_goes_to_the_vip_queue_at_higher_priority(bench: Bench) -> None:
    scenario = Scenario("vip", (Keys("0"),), caller="+15005550010")
    result, _ = await bench.call(scenario)
    packet = bench.handoff(result.call_sid)["packet"]
    assert (packet["queue"], packet["vip"], packet["priority"]) == ("vip", True, 30)
    assert packet["caller"] == "********0010"
    assert ">vip</Enqueue>" in bench.twilio.requests[0].form["Twiml"]


async def test_rest_failure_is_retried_then_the_caller_hears_the_apology_and_is_queued(
    bench: Bench,
) -> None:
    bench.twilio.statuses = [500, 503, 500]
    result, record = await bench.call(Scenario("rest_down", (Keys("0"),)))

    assert len(bench.twilio.requests) == 3
    [via] = events(record, "transfer_via")
    assert (via["ok"], via["attempts"], via["errors"]) == (
        False, 3, ["HTTP 500", "HTTP 503", "HTTP 500"],
    )  # fmt: skip
    assert bench.handoff(result.call_sid)["status"] == "rest_failed"
    assert record["end_reason"] == "transferred"
    assert result.ended_by == "bot"
    # The apology audio reached the caller after the transfer words.
    assert len(result.bot_audio) >= 2
    # Twilio then asks after-stream: the caller is queued, not dropped.
    twiml = await bench.after_stream(result.call_sid)
    assert twiml == enqueue("general", f"http://127.0.0.1:{bench.server.port}")
    assert bench.handoff(result.call_sid)["status"] == "after_stream"


async def test_a_slow_rest_update_is_filled_with_the_hold_message(bench: Bench) -> None:
    bench.twilio.delay = 1.8
    result, record = await bench.call(Scenario("slow_api", (Keys("0"),)))
    assert events(record, "transfer_hold")
    [via] = events(record, "transfer_via")
    assert via["ok"] is True
    kinds = [e["kind"] for e in record["events"]]
    assert kinds.index("handoff") < kinds.index("transfer_hold") < kinds.index("transfer_via")


async def test_without_credentials_the_transfer_is_recorded_and_left_to_after_stream(
    offline: LocalServer,
) -> None:
    simulator = CallerSimulator(offline.stream_url, speed=SPEED)
    result = await simulator.run(Scenario("keypad_agent", (Keys("0"),)))
    record = await wait_for_end(offline, result.call_sid)
    [via] = events(record, "transfer_via")
    assert via["method"] == "after_stream"
    handoff = offline.ctx.store.call_handoff(result.call_sid)
    assert handoff is not None and handoff["status"] == "awaiting_after_stream"
    assert handoff["packet"]["reason"] == "caller_asked_for_agent"


async def test_socket_drop_mid_call_routes_the_caller_by_where_they_were(bench: Bench) -> None:
    result, record = await bench.call(Scenario("drop", (audio("check_my_balance"), DropSocket())))
    assert record["end_reason"] == "stream_dropped"
    assert bench.twilio.requests == []
    twiml = await bench.after_stream(result.call_sid)
    assert ">billing</Enqueue>" in twiml
    packet = bench.handoff(result.call_sid)["packet"]
    assert (packet["reason"], packet["intent"]) == ("stream_dropped", "check_balance")
