"""Many calls at once, for analytics and the dashboard: by period and flow, newest first,
each shaped like `get_call`; and the calls still open."""

from __future__ import annotations

import time
from pathlib import Path

from voicebot.storage import open_store


def test_calls_by_period_flow_and_limit_newest_first(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url, tmp_path / "unused.db")
    store.start_call("CA1", "MZ1", "acme_support", "+441234567890")
    store.add_event("CA1", "bot_said", text="Hello")
    store.end_call("CA1", "completed")
    time.sleep(0.02)
    between = time.time()
    time.sleep(0.02)
    store.start_call("CA2", "MZ2", "card_services", None)
    store.start_call("CA3", "MZ3", "acme_support", None)
    store.add_event("CA3", "caller_said", transcript="agent")

    assert [r["call_sid"] for r in store.list_calls()] == ["CA3", "CA2", "CA1"]
    assert [r["call_sid"] for r in store.list_calls(since=between)] == ["CA3", "CA2"]
    assert [r["call_sid"] for r in store.list_calls(until=between)] == ["CA1"]
    assert [r["call_sid"] for r in store.list_calls(flow="acme_support")] == ["CA3", "CA1"]
    assert [r["call_sid"] for r in store.list_calls(limit=1)] == ["CA3"]
    (first,) = store.list_calls(until=between)
    assert first == store.get_call("CA1")
    assert [e["kind"] for e in first["events"]] == ["bot_said"]
    assert [r["call_sid"] for r in store.open_calls()] == ["CA2", "CA3"]
    assert store.list_calls(flow="nowhere") == []
