"""The call store, the same tests on SQLite and on a real PostgreSQL server: events in order,
committed as they happen, end reason written once, calls listed, flow versions kept."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from voicebot.exceptions import ConfigError
from voicebot.storage import open_store
from voicebot.storage.calls import CallStore, mask_number
from voicebot.storage.schema import LATEST
from voicebot.storage.sqlite import SqliteCallStore


def opened(url: str) -> CallStore:
    return open_store(url, "unused.db")


def test_events_survive_a_reopen_in_order(database_url: str) -> None:
    store = opened(database_url)
    store.start_call("CA1", "MZ1", "acme_support", "+441234567890", flow_version="v1")
    store.add_event("CA1", "bot_said", text="Hello")
    store.add_event("CA1", "caller_said", transcript="check my balance", confidence=0.9)
    store.close()  # as if the process died before the call ended

    reopened = opened(database_url)
    record = reopened.get_call("CA1")
    assert record is not None
    assert record["caller"] == "*********7890"
    assert (record["end_reason"], record["flow_version"]) == (None, "v1")
    assert [(e["seq"], e["kind"]) for e in record["events"]] == [
        (1, "bot_said"),
        (2, "caller_said"),
    ]
    assert record["events"][1]["confidence"] == 0.9

    reopened.add_event("CA1", "twilio_stop")
    reopened.end_call("CA1", "completed")
    reopened.end_call("CA1", "stream_dropped")
    assert reopened.get_call("CA1")["end_reason"] == "completed"  # type: ignore[index]
    assert len(reopened.get_call("CA1")["events"]) == 3  # type: ignore[index]


def test_two_stores_on_one_database_interleave_events_without_colliding(
    database_url: str,
) -> None:
    """Two processes' stores: each used to number events itself and hit UNIQUE(call_sid, seq)."""
    first, second = opened(database_url), opened(database_url)
    first.start_call("CA1", "MZ1", "acme_support", None)
    for n in range(5):
        first.add_event("CA1", "turn", n=n, by="first")
        second.add_event("CA1", "turn", n=n, by="second")
    record = second.get_call("CA1")
    assert record is not None
    assert [(e["by"], e["n"]) for e in record["events"]] == [
        (by, n) for n in range(5) for by in ("first", "second")
    ]
    assert [e["seq"] for e in record["events"]] == list(range(1, 11))


def test_unknown_call_is_none(database_url: str) -> None:
    assert opened(database_url).get_call("CAnope") is None


def test_calls_are_listed_by_time_and_flow_and_open_ones_found(database_url: str) -> None:
    store = opened(database_url)
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


def test_handoffs_newest_first_and_status_updates(database_url: str) -> None:
    store = opened(database_url)
    store.start_call("CA1", "MZ", "acme_support", None)
    store.add_handoff("H1", "CA1", "billing", "<Response/>", {"id": "H1"})
    store.add_handoff("H2", "CA1", "general", "<Response><Hangup/></Response>", {"id": "H2"})
    store.set_handoff_status("H1", "after_stream")
    assert store.get_handoff("H1") == {
        "status": "after_stream", "twiml": "<Response/>", "packet": {"id": "H1"},
    }  # fmt: skip
    assert store.call_handoff("CA1")["packet"] == {"id": "H2"}  # type: ignore[index]
    assert [h["packet"]["id"] for h in store.list_handoffs(limit=5)] == ["H2", "H1"]
    assert store.get_handoff("nope") is None


def test_flow_versions_are_kept_once(database_url: str) -> None:
    store = opened(database_url)
    store.save_flow_version("abc", "acme_support", '{"flow": "acme_support"}')
    store.save_flow_version("abc", "acme_support", '{"flow": "acme_support"}')
    assert opened(database_url).flow_version_source("abc") == '{"flow": "acme_support"}'
    assert store.flow_version_source("nope") is None


def test_a_store_from_before_migrations_keeps_its_calls(tmp_path: Path) -> None:
    """A var/calls.db written by the previous release (events numbered per process)."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE calls (call_sid TEXT PRIMARY KEY, stream_sid TEXT NOT NULL,
            flow TEXT NOT NULL, caller TEXT, started_at REAL NOT NULL, ended_at REAL,
            end_reason TEXT);
        CREATE TABLE events (call_sid TEXT NOT NULL REFERENCES calls(call_sid),
            seq INTEGER NOT NULL, at REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (call_sid, seq));
        CREATE TABLE handoffs (id TEXT PRIMARY KEY, call_sid TEXT NOT NULL, created_at REAL
            NOT NULL, queue TEXT NOT NULL, status TEXT NOT NULL, twiml TEXT NOT NULL,
            packet TEXT NOT NULL);
        INSERT INTO calls VALUES ('CA1', 'MZ1', 'acme_support', '***1', 1.0, 2.0, 'completed');
        INSERT INTO events VALUES ('CA1', 2, 1.2, 'caller_said', '{"transcript": "yes"}');
        INSERT INTO events VALUES ('CA1', 1, 1.1, 'bot_said', '{"text": "Hello"}');
        INSERT INTO handoffs VALUES ('H1', 'CA1', 1.5, 'general', 'pending', '<R/>', '{}');
        INSERT INTO calls VALUES ('CA2', 'MZ2', 'acme_support', NULL, 3.0, NULL, NULL);
        """
    )
    db.close()
    store = SqliteCallStore(path)
    assert store.schema_version() == LATEST
    record = store.get_call("CA1")
    assert record is not None
    kinds = [(e["seq"], e["kind"]) for e in record["events"]]
    assert kinds == [(1, "bot_said"), (2, "caller_said")]
    store.add_event("CA1", "note")
    assert store.get_call("CA1")["events"][-1]["seq"] == 3  # type: ignore[index]
    assert store.call_handoff("CA1") is not None
    assert store.get_call("CA2")["end_reason"] == "server_lost"  # type: ignore[index]
    assert store.get_call("CA1")["end_reason"] == "completed"  # type: ignore[index]
    assert SqliteCallStore(path).schema_version() == LATEST  # reopening migrates nothing


def test_an_unsupported_database_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        open_store("mysql://localhost/calls", tmp_path / "c.db")


def test_mask_number() -> None:
    assert mask_number("+15005550006") == "********0006"
    assert mask_number(None) is None


WRITER = """
import sys
from voicebot.storage import open_store
store = open_store(sys.argv[1], "unused.db")
for n in range(int(sys.argv[3])):
    store.add_event("CA1", "turn", n=n, by=sys.argv[2])
"""


def test_two_processes_writing_one_call_at_once_lose_nothing(database_url: str) -> None:
    """Issue 14's failure: two processes on one SQLite file hit UNIQUE(call_sid, seq)."""
    store = opened(database_url)
    store.start_call("CA1", "MZ1", "acme_support", None)
    env = {"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "")}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, database_url, name, "150"], env=env)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    record = store.get_call("CA1")
    assert record is not None
    for name in ("a", "b"):  # each process's events in its own order, none lost
        assert [e["n"] for e in record["events"] if e["by"] == name] == list(range(150))
    assert [e["seq"] for e in record["events"]] == list(range(1, 301))
