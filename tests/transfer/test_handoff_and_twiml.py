"""The handoff packet (masking, summary, last turns) and the TwiML for each kind of target."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.transfer.flows import routed_flow
from tests.transfer.test_routing import MONDAY_NOON, SATURDAY, route
from voicebot.flows.routing import RouteDecision, queues_of
from voicebot.transfer.handoff import HandoffPacket, build_packet
from voicebot.twilio.twiml import transfer_twiml

EVENTS: list[dict[str, Any]] = [
    {"kind": "bot_said", "text": "Welcome. Say balance or agent."},
    {"kind": "caller_said", "transcript": "check my balance"},
    {"kind": "bot_said", "text": "Please key your PIN."},
    {"kind": "caller_keyed", "digit": "****"},
    {"kind": "caller_said", "transcript": ""},
    {"kind": "caller_said", "transcript": "agent"},
]
HANDOFF = {
    "call_sid": "CA1",
    "node": "ask_pin",
    "intent": "check_balance",
    "slots": {"account_number": "12345678", "pin": "****"},
    "emotion": [{"label": "frustrated", "intensity": 0.6}],
}


def packet(decision: RouteDecision, show_caller: bool = False) -> HandoffPacket:
    return build_packet(
        call_sid="CA1",
        flow="routed",
        caller="+447700900999",
        decision=decision,
        handoff=HANDOFF,
        events=EVENTS,
        skills=["billing"],
        show_caller=show_caller,
    )


def test_packet_masks_the_caller_unless_configured_and_keeps_slots_masked() -> None:
    masked = packet(route(intent="check_balance"))
    assert masked.caller == "*********0999"
    assert masked.slots == {"account_number": "12345678", "pin": "****"}
    assert packet(route(), show_caller=True).caller == "+447700900999"


def test_packet_fields_and_deterministic_summary() -> None:
    first = packet(route(intent="check_balance"))
    assert (first.version, first.queue, first.priority, first.intent, first.node) == (
        1, "billing", 5, "check_balance", "ask_pin",
    )  # fmt: skip
    assert [e.label for e in first.emotions] == ["frustrated"]
    assert first.summary == (
        "Caller asked for a person. Wants: check balance. "
        "Known: account number 12345678, pin ****. Sounds frustrated. Needs: billing."
    )
    assert first.summary == packet(route(intent="check_balance")).summary
    vip_fault = packet(route(reason="backend_fault:tts", caller_id="+447700900123"))
    assert vip_fault.summary.startswith("VIP caller hit a system fault (tts).")


def test_last_turns_come_from_the_record_in_order_without_empty_transcripts() -> None:
    turns = [(t.who, t.text) for t in packet(route()).last_turns]
    assert turns == [
        ("bot", "Welcome. Say balance or agent."),
        ("caller", "check my balance"),
        ("bot", "Please key your PIN."),
        ("caller", "[keypad ****]"),
        ("caller", "agent"),
    ]


def test_enqueue_twiml_names_the_queue_and_its_result_callback() -> None:
    flow = routed_flow()
    decision = route()
    twiml = transfer_twiml(decision, queues_of(flow), {}, "https://bot.example.com")
    assert twiml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue action="https://bot.example.com'
        '/twilio/queue-result?queue=general">general</Enqueue></Response>'
    )


def test_taskrouter_twiml_carries_routing_attributes_and_priority_in_the_task() -> None:
    flow = routed_flow()
    decision = route(intent="check_balance")
    attrs = packet(decision).task_attributes()
    twiml = transfer_twiml(decision, queues_of(flow), attrs, None)
    match = re.search(
        r'<Enqueue workflowSid="WW0123456789abcdef0123456789abcdef">'
        r'<Task priority="5" timeout="30">(.*)</Task></Enqueue>',
        twiml,
    )
    assert match, twiml
    task = json.loads(match.group(1).replace("&quot;", '"'))
    assert task["team"] == "billing" and task["queue"] == "billing"
    assert task["intent"] == "check_balance" and task["vip"] is False and task["priority"] == 5
    assert "0999" not in match.group(1)


def test_dial_twiml_for_numbers_and_sip_and_the_out_of_hours_message() -> None:
    flow = routed_flow()
    night = transfer_twiml(route(now=MONDAY_NOON.replace(hour=21)), queues_of(flow), {}, None)
    assert night.endswith(
        '<Response><Say>We are closed.</Say><Dial timeout="30"><Number>+441234567890</Number>'
        "</Dial></Response>"
    )
    crisis = transfer_twiml(route(intent="crisis"), queues_of(flow), {}, None)
    assert '<Dial timeout="30"><Sip>sip:crisis@pbx.example.com</Sip></Dial>' in crisis


def test_callback_request_out_of_hours_records_a_message_then_hangs_up() -> None:
    flow = routed_flow()
    twiml = transfer_twiml(
        route(intent="check_balance", now=SATURDAY), queues_of(flow), {}, "https://b.example"
    )
    assert "<Say>Billing is closed.</Say>" in twiml
    assert (
        '<Record action="https://b.example/twilio/queue-result?queue=billing&amp;callback=1" '
        'maxLength="60" playBeep="true" /><Hangup /></Response>'
    ) in twiml


def test_emotion_trajectory_comes_from_the_record_when_the_engine_gives_none() -> None:
    events = [
        {"kind": "caller_said", "transcript": "hi", "emotion": "neutral", "emotion_intensity": 0.1},
        {"kind": "caller_said", "transcript": "no!", "emotion": "angry", "emotion_intensity": 0.8},
    ]
    got = build_packet(
        call_sid="CA1",
        flow="routed",
        caller=None,
        decision=route(),
        handoff={"emotion": []},
        events=events,
    )
    assert [(e.label, e.intensity) for e in got.emotions] == [("neutral", 0.1), ("angry", 0.8)]
    assert got.summary.endswith("Sounds angry.")


def _prepared(tmp_path: Any, now: Any, events: list[dict[str, Any]], emotion: list[Any]) -> Any:
    """The packet the transfer service builds on the example flow for a billing transfer."""
    from tests.conftest import FLOWS_DIR
    from voicebot.dialogue.actions import Transfer
    from voicebot.flows.loader import load_flow
    from voicebot.settings import Settings
    from voicebot.storage.sqlite import SqliteCallStore
    from voicebot.transfer.service import CallTransfers

    store = SqliteCallStore(tmp_path / "calls.db")
    store.start_call("CA9", "MZ9", "acme_support", "+15005550006")
    for event in events:
        store.add_event("CA9", event["kind"], **{k: v for k, v in event.items() if k != "kind"})
    transfers = CallTransfers(
        flow_name="acme_support",
        flow=load_flow(FLOWS_DIR / "acme_support.yaml"),
        call_sid="CA9",
        caller="+15005550006",
        store=store,
        settings=Settings(),
        clock=lambda: now,
    )
    handoff: dict[str, object] = {
        "intent": "check_balance",
        "slots": {},
        "emotion": emotion,
        "node": "greet",
    }
    return transfers.prepare(Transfer("billing", "caller_asked_for_agent", handoff)).packet


def test_out_of_hours_summary_says_where_hours_sent_the_caller_and_the_skill(
    tmp_path: Any,
) -> None:
    from datetime import UTC, datetime

    saturday_evening = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)  # billing shut at 13:00
    spoke = [{"kind": "caller_said", "transcript": "agent", "emotion": "neutral"}]
    got = _prepared(tmp_path, saturday_evening, spoke, [{"label": "neutral", "intensity": 0.1}])
    assert (got.queue, got.requested_queue) == ("general", "billing")
    assert got.summary == (
        "Caller asked for a person. Wants: check balance. "
        "Out of hours: billing closed, so sent to general. Needs: billing."
    )


def test_a_keypad_only_call_says_there_was_no_speech(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    keyed = [{"kind": "caller_keyed", "digit": "1"}, {"kind": "caller_keyed", "digit": "0"}]
    got = _prepared(tmp_path, monday_noon, keyed, [])
    assert got.emotions == []
    assert got.summary == (
        "Caller asked for a person. Wants: check balance. No speech: keypad only, so no mood. "
        "Needs: billing."
    )
