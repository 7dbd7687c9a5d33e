"""The call store: events in order, committed as they happen, end reason written once."""

from __future__ import annotations

import time
from pathlib import Path

from voicebot.storage.calls import CallStore, mask_number


def test_events_survive_a_reopen_in_order(tmp_path: Path) -> None:
    store = CallStore(tmp_path / "calls.db")
    store.start_call("CA1", "MZ1", "acme_support", "+441234567890")
    store.add_event("CA1", "bot_said", text="Hello")
    store.add_event("CA1", "caller_said", transcript="check my balance", confidence=0.9)
    store.close()  # as if the process died before the call ended

    reopened = CallStore(tmp_path / "calls.db")
    record = reopened.get_call("CA1")
    assert record is not None
    assert record["caller"] == "*********7890"
    assert record["end_reason"] is None
    assert [(e["seq"], e["kind"]) for e in record["events"]] == [
        (1, "bot_said"),
        (2, "caller_said"),
    ]

    reopened.add_event("CA1", "twilio_stop")
    reopened.end_call("CA1", "completed")
    reopened.end_call("CA1", "stream_dropped")
    assert reopened.get_call("CA1")["end_reason"] == "completed"  # type: ignore[index]


def test_unknown_call_is_none(tmp_path: Path) -> None:
    assert CallStore(tmp_path / "c.db").get_call("CAnope") is None


def test_mask_number() -> None:
    assert mask_number("+15005550006") == "********0006"
    assert mask_number(None) is None


def test_calls_are_listed_by_time_and_flow_and_open_ones_found(tmp_path: Path) -> None:
    store = CallStore(tmp_path / "calls.db")
    for sid, flow in (("CA1", "acme_support"), ("CA2", "card_services"), ("CA3", "acme_support")):
        store.start_call(sid, "MZ", flow, None)
        store.add_event(sid, "bot_said", text=f"hello {sid}")
        time.sleep(0.01)
    store.end_call("CA2", "completed")
    listed = store.list_calls()
    assert [c["call_sid"] for c in listed] == ["CA3", "CA2", "CA1"]
    assert listed[0] == store.get_call("CA3")
    assert [c["call_sid"] for c in store.list_calls(flow="acme_support", limit=1)] == ["CA3"]
    middle = listed[1]["started_at"]
    assert [c["call_sid"] for c in store.list_calls(since=middle)] == ["CA3", "CA2"]
    assert [c["call_sid"] for c in store.list_calls(until=middle)] == ["CA1"]
    assert [c["call_sid"] for c in store.open_calls()] == ["CA1", "CA3"]
    assert store.open_calls()[0]["events"][0]["text"] == "hello CA1"
