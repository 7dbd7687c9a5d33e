"""The call record: every event of a call committed as it happens, read back as JSON.

A crash loses at most the event in flight. SQLite in WAL mode; one connection guarded by a
lock, because the writes are tiny and come from one event loop plus the odd worker thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_sid   TEXT PRIMARY KEY,
    stream_sid TEXT NOT NULL,
    flow       TEXT NOT NULL,
    caller     TEXT,
    started_at REAL NOT NULL,
    ended_at   REAL,
    end_reason TEXT
);
CREATE TABLE IF NOT EXISTS events (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid),
    seq      INTEGER NOT NULL,
    at       REAL NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (call_sid, seq)
);
CREATE TABLE IF NOT EXISTS handoffs (
    id         TEXT PRIMARY KEY,
    call_sid   TEXT NOT NULL REFERENCES calls(call_sid),
    created_at REAL NOT NULL,
    queue      TEXT NOT NULL,
    status     TEXT NOT NULL,
    twiml      TEXT NOT NULL,
    packet     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS handoffs_by_call ON handoffs (call_sid);
"""


def mask_number(number: str | None) -> str | None:
    """Caller IDs are personal data: keep the last 4 digits, enough for an agent to check."""
    if not number:
        return number
    return "*" * max(0, len(number) - 4) + number[-4:]


class CallStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._seq: dict[str, int] = {}

    def start_call(self, call_sid: str, stream_sid: str, flow: str, caller: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls (call_sid, stream_sid, flow, caller, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (call_sid, stream_sid, flow, mask_number(caller), time.time()),
            )
            self._seq[call_sid] = 0

    def add_event(self, call_sid: str, kind: str, **data: Any) -> None:
        with self._lock:
            if call_sid not in self._seq:  # a call started by an earlier process
                row = self._db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM events WHERE call_sid = ?", (call_sid,)
                ).fetchone()
                self._seq[call_sid] = int(row[0])
            seq = self._seq[call_sid] + 1
            self._seq[call_sid] = seq
            self._db.execute(
                "INSERT INTO events (call_sid, seq, at, kind, data) VALUES (?, ?, ?, ?, ?)",
                (call_sid, seq, time.time(), kind, json.dumps(data, default=str)),
            )

    def end_call(self, call_sid: str, reason: str) -> None:
        """Record the end reason once; later calls (a second teardown path) change nothing."""
        with self._lock:
            self._db.execute(
                "UPDATE calls SET ended_at = ?, end_reason = ?"
                " WHERE call_sid = ? AND ended_at IS NULL",
                (time.time(), reason, call_sid),
            )
            self._seq.pop(call_sid, None)

    def get_call(self, call_sid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT call_sid, stream_sid, flow, caller, started_at, ended_at, end_reason"
                " FROM calls WHERE call_sid = ?",
                (call_sid,),
            ).fetchone()
            if row is None:
                return None
            events = self._db.execute(
                "SELECT seq, at, kind, data FROM events WHERE call_sid = ? ORDER BY seq",
                (call_sid,),
            ).fetchall()
        keys = ("call_sid", "stream_sid", "flow", "caller", "started_at", "ended_at", "end_reason")
        record: dict[str, Any] = dict(zip(keys, row, strict=True))
        record["events"] = [
            {"seq": seq, "at": at, "kind": kind, **json.loads(data)}
            for seq, at, kind, data in events
        ]
        return record

    # -- handoffs: one per transfer, with the TwiML that carries it out -----------------------

    def add_handoff(
        self, handoff_id: str, call_sid: str, queue: str, twiml: str, packet: dict[str, Any]
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO handoffs (id, call_sid, created_at, queue, status, twiml, packet)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                (handoff_id, call_sid, time.time(), queue, twiml, json.dumps(packet)),
            )

    def set_handoff_status(self, handoff_id: str, status: str) -> None:
        """`pending` → `rest_redirected` | `rest_failed` | `recorded` | `after_stream`…"""
        with self._lock:
            self._db.execute("UPDATE handoffs SET status = ? WHERE id = ?", (status, handoff_id))

    def get_handoff(self, handoff_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, twiml, packet FROM handoffs WHERE id = ?", (handoff_id,)
            ).fetchone()
        return None if row is None else _handoff(row)

    def call_handoff(self, call_sid: str) -> dict[str, Any] | None:
        """The call's latest handoff."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, twiml, packet FROM handoffs WHERE call_sid = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (call_sid,),
            ).fetchone()
        return None if row is None else _handoff(row)

    def list_handoffs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT status, twiml, packet FROM handoffs ORDER BY created_at DESC, rowid DESC"
                " LIMIT ?",
                (limit,),
            ).fetchall()
        return [_handoff(row) for row in rows]

    # -- many calls at once: analytics and the admin dashboard ---------------------------------

    def list_calls(
        self,
        since: float | None = None,
        until: float | None = None,
        flow: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Calls that started in [since, until) (Unix times), newest first, each shaped like
        `get_call`."""
        where, args = _call_filter(since, until, flow)
        return self._records(where, args, limit)

    def open_calls(self) -> list[dict[str, Any]]:
        """Calls with no end recorded (live, or left open by a worker that died), oldest first."""
        return list(reversed(self._records(" WHERE ended_at IS NULL", [], None)))

    def _records(self, where: str, args: list[Any], limit: int | None) -> list[dict[str, Any]]:
        columns = ", ".join(_CALL_KEYS)
        sql = f"SELECT {columns} FROM calls{where} ORDER BY started_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args = [*args, limit]
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            records = {row[0]: dict(zip(_CALL_KEYS, row, strict=True)) for row in rows}
            for record in records.values():
                record["events"] = []
            sids = list(records)
            for start in range(0, len(sids), 500):
                chunk = sids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for call_sid, seq, at, kind, data in self._db.execute(
                    "SELECT call_sid, seq, at, kind, data FROM events"
                    f" WHERE call_sid IN ({marks}) ORDER BY call_sid, seq",
                    chunk,
                ):
                    records[call_sid]["events"].append(
                        {"seq": seq, "at": at, "kind": kind, **json.loads(data)}
                    )
        return list(records.values())

    def close(self) -> None:
        with self._lock:
            self._db.close()


_CALL_KEYS = ("call_sid", "stream_sid", "flow", "caller", "started_at", "ended_at", "end_reason")


def _call_filter(
    since: float | None, until: float | None, flow: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    wanted = (("started_at >= ?", since), ("started_at < ?", until), ("flow = ?", flow))
    for clause, value in wanted:
        if value is not None:
            clauses.append(clause)
            args.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _handoff(row: tuple[str, str, str]) -> dict[str, Any]:
    status, twiml, packet = row
    return {"status": status, "twiml": twiml, "packet": json.loads(packet)}
