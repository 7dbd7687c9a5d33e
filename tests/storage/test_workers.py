"""A worker's lease: registered and beating from its own thread; other workers' old
heartbeats count only once it has reached the database for the stale period itself."""

from __future__ import annotations

import time

from voicebot.storage import open_store
from voicebot.storage.calls import CallStore
from voicebot.storage.sql import SqlCallStore
from voicebot.storage.workers import WorkerLease


def test_a_lease_beats_and_closes_a_silent_workers_calls_once_settled(database_url: str) -> None:
    silent = open_store(database_url, "unused.db")
    silent.start_worker("host-gone-quiet", 4242)
    silent.start_call("CAquiet", "MZ1", "routed", None)
    time.sleep(0.4)

    store = open_store(database_url, "unused.db")
    lease = WorkerLease(store, interval=0.1, stale_after=0.3)
    try:
        assert lease.start() == []  # at start only stopped or dead-here workers count
        store.start_call("CAmine", "MZ2", "routed", None)
        beat_before = _heartbeat(store)
        deadline = time.monotonic() + 10
        while (store.get_call("CAquiet") or {})["end_reason"] is None:
            assert time.monotonic() < deadline, "the silent worker's call stayed open"
            time.sleep(0.05)
        assert store.get_call("CAquiet")["end_reason"] == "server_lost"  # type: ignore[index]
        assert store.get_call("CAmine")["end_reason"] is None  # type: ignore[index]
        assert _heartbeat(store) > beat_before
    finally:
        lease.stop()
    assert store.open_calls()[0]["call_sid"] == "CAmine"
    assert open_store(database_url, "unused.db").close_lost_calls(None) == ["CAmine"]


def _heartbeat(store: CallStore) -> float:
    assert isinstance(store, SqlCallStore)
    rows = store._rows("SELECT heartbeat_at FROM workers WHERE worker_id = ?", (store.worker_id,))
    return float(rows[0][0])
