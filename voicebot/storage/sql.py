"""The call store over SQL, written once for SQLite and PostgreSQL: calls and their events,
handoffs, flow versions and workers (the subclasses in `sqlite.py` and `postgres.py` give the
connection and the dialect's few differences; `connection.py` queues writes while the
database is away). Event order is the database's: an identity or AUTOINCREMENT key, never a
per-process counter, so several processes share one store.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from loguru import logger

from voicebot.storage.calls import mask_number
from voicebot.storage.connection import Params, QueuedConnection
from voicebot.storage.schema import MIGRATIONS, MIGRATIONS_TABLE, Backend

CALL_COLUMNS = (
    "call_sid", "stream_sid", "flow", "flow_version", "caller", "worker_id", "started_at",
    "ended_at", "end_reason",
)  # fmt: skip


class SqlCallStore(QueuedConnection):
    backend: Backend
    now_sql: str
    """SQL for the database's clock in epoch seconds: heartbeats compare on one clock."""
    next_handoff_pos: str

    def __init__(self) -> None:
        self.worker_id: str | None = None
        super().__init__()
        self._migrate()

    def reopen(self) -> SqlCallStore:
        raise NotImplementedError

    def _lock_for_migration(self, db: Any) -> None:
        """Inside the migration transaction: keep a second process from migrating at once."""

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._db_lock, self._transaction() as db:
            self._lock_for_migration(db)
            db.execute(MIGRATIONS_TABLE)
            applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for migration in MIGRATIONS:
                if migration.version in applied:
                    continue
                for statement in migration.script(self.backend):
                    db.execute(statement)
                db.execute(
                    self._sql(
                        "INSERT INTO schema_migrations (version, summary, applied_at)"
                        " VALUES (?, ?, ?)"
                    ),
                    (migration.version, migration.summary, time.time()),
                )
                if applied:  # an upgrade is news; a new store being created is not
                    logger.info(f"call store schema migrated to version {migration.version}")

    def schema_version(self) -> int:
        row = self._read(lambda db: db.execute("SELECT MAX(version) FROM schema_migrations"))
        return int(row.fetchone()[0])

    # -- calls and their events ---------------------------------------------------------------

    def start_call(
        self,
        call_sid: str,
        stream_sid: str,
        flow: str,
        caller: str | None,
        flow_version: str | None = None,
    ) -> None:
        self._write(
            (
                "INSERT INTO calls (call_sid, stream_sid, flow, flow_version, caller, worker_id,"
                " started_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_sid) DO UPDATE SET"
                " stream_sid = excluded.stream_sid, flow = excluded.flow,"
                " flow_version = excluded.flow_version, caller = excluded.caller,"
                " worker_id = excluded.worker_id, started_at = excluded.started_at,"
                " ended_at = NULL, end_reason = NULL",
                (
                    call_sid,
                    stream_sid,
                    flow,
                    flow_version,
                    mask_number(caller),
                    self.worker_id,
                    time.time(),
                ),  # fmt: skip
            )
        )

    def add_event(self, call_sid: str, kind: str, **data: Any) -> None:
        self._write(
            (
                "INSERT INTO events (call_sid, at, kind, data) VALUES (?, ?, ?, ?)",
                (call_sid, time.time(), kind, json.dumps(data, default=str)),
            )
        )

    def end_call(self, call_sid: str, reason: str) -> None:
        self._write(
            (
                "UPDATE calls SET ended_at = ?, end_reason = ?"
                " WHERE call_sid = ? AND ended_at IS NULL",
                (time.time(), reason, call_sid),
            )
        )

    def get_call(self, call_sid: str) -> dict[str, Any] | None:
        records = self._records("WHERE call_sid = ?", (call_sid,))
        return records[0] if records else None

    def list_calls(
        self,
        since: float | None = None,
        until: float | None = None,
        flow: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (("started_at >= ?", since), ("started_at < ?", until)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if flow is not None:
            where.append("flow = ?")
            params.append(flow)
        sql = f"WHERE {' AND '.join(where)}" if where else ""
        sql += " ORDER BY started_at DESC, call_sid"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._records(sql, params)

    def open_calls(self) -> list[dict[str, Any]]:
        return self._records("WHERE ended_at IS NULL ORDER BY started_at, call_sid", ())

    def _records(self, clauses: str, params: Params) -> list[dict[str, Any]]:
        def query(db: Any) -> list[dict[str, Any]]:
            rows = db.execute(
                self._sql(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls {clauses}"), params
            ).fetchall()
            records = [dict(zip(CALL_COLUMNS, row, strict=True)) for row in rows]
            events: dict[str, list[dict[str, Any]]] = {r["call_sid"]: [] for r in records}
            sids = list(events)
            for start in range(0, len(sids), 500):
                batch = sids[start : start + 500]
                marks = ", ".join("?" * len(batch))
                for sid, at, kind, data in db.execute(
                    self._sql(
                        "SELECT call_sid, at, kind, data FROM events"
                        f" WHERE call_sid IN ({marks}) ORDER BY call_sid, id"
                    ),
                    batch,
                ):
                    found = events[sid]
                    found.append({"seq": len(found) + 1, "at": at, "kind": kind} | json.loads(data))
            for record in records:
                record["events"] = events[record["call_sid"]]
            return records

        return list(self._read(query))

    # -- handoffs -----------------------------------------------------------------------------

    def add_handoff(
        self, handoff_id: str, call_sid: str, queue: str, twiml: str, packet: dict[str, Any]
    ) -> None:
        self._write(
            (
                "INSERT INTO handoffs (id, call_sid, created_at, queue, status, twiml, packet,"
                f" pos) VALUES (?, ?, ?, ?, 'pending', ?, ?, {self.next_handoff_pos})",
                (handoff_id, call_sid, time.time(), queue, twiml, json.dumps(packet)),
            )
        )

    def set_handoff_status(self, handoff_id: str, status: str) -> None:
        self._write(("UPDATE handoffs SET status = ? WHERE id = ?", (status, handoff_id)))

    def get_handoff(self, handoff_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT status, twiml, packet FROM handoffs WHERE id = ?", (handoff_id,))
        return _handoff(rows[0]) if rows else None

    def call_handoff(self, call_sid: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT status, twiml, packet FROM handoffs WHERE call_sid = ?"
            " ORDER BY created_at DESC, pos DESC LIMIT 1",
            (call_sid,),
        )
        return _handoff(rows[0]) if rows else None

    def list_handoffs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT status, twiml, packet FROM handoffs ORDER BY created_at DESC, pos DESC LIMIT ?",
            (limit,),
        )
        return [_handoff(row) for row in rows]

    # -- flow versions ------------------------------------------------------------------------

    def save_flow_version(self, version: str, flow: str, source: str) -> None:
        self._write(
            (
                "INSERT INTO flow_versions (version, flow, source, saved_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (version) DO NOTHING",
                (version, flow, source, time.time()),
            )
        )

    def flow_version_source(self, version: str) -> str | None:
        rows = self._rows("SELECT source FROM flow_versions WHERE version = ?", (version,))
        return str(rows[0][0]) if rows else None

    # -- workers ------------------------------------------------------------------------------

    def start_worker(self, host: str, pid: int, pid_start: int | None = None) -> str:
        worker_id = uuid.uuid4().hex[:16]
        self._write(
            (
                "INSERT INTO workers (worker_id, host, pid, pid_start, started_at, heartbeat_at)"
                f" VALUES (?, ?, ?, ?, {self.now_sql}, {self.now_sql})",
                (worker_id, host, pid, pid_start),
            )
        )
        self.worker_id = worker_id
        return worker_id

    def heartbeat(self) -> None:
        if self.worker_id is None:
            return
        with self._pending_lock:
            if self._down:
                return  # a heartbeat is worth nothing late; the next one will do
        self._write(
            (
                f"UPDATE workers SET heartbeat_at = {self.now_sql} WHERE worker_id = ?",
                (self.worker_id,),
            )
        )

    def stop_worker(self) -> None:
        if self.worker_id is None:
            return
        self._write(
            (
                f"UPDATE workers SET stopped_at = {self.now_sql} WHERE worker_id = ?",
                (self.worker_id,),
            )
        )

    def live_workers(self, host: str) -> list[tuple[str, int, int | None]]:
        rows = self._rows(
            "SELECT worker_id, pid, pid_start FROM workers WHERE host = ? AND stopped_at IS NULL",
            (host,),
        )
        return [(str(w), int(p), None if s is None else int(s)) for w, p, s in rows]

    def mark_worker_stopped(self, worker_id: str) -> None:
        self._write(
            (
                f"UPDATE workers SET stopped_at = {self.now_sql}"
                " WHERE worker_id = ? AND stopped_at IS NULL",
                (worker_id,),
            )
        )

    def close_lost_calls(self, stale_after: float | None) -> list[str]:
        dead = "stopped_at IS NOT NULL"
        if stale_after is not None:
            dead += f" OR heartbeat_at < {self.now_sql} - ?"

        def sweep(_db: Any) -> list[str]:
            with self._transaction() as db:
                lost = db.execute(
                    self._sql(
                        f"UPDATE calls SET ended_at = {self.now_sql}, end_reason = 'server_lost'"
                        " WHERE ended_at IS NULL AND worker_id IN (SELECT worker_id FROM workers"
                        f" WHERE {dead}) RETURNING call_sid, worker_id"
                    ),
                    () if stale_after is None else (stale_after,),
                ).fetchall()
                for call_sid, worker_id in lost:
                    db.execute(
                        self._sql(
                            "INSERT INTO events (call_sid, at, kind, data) VALUES (?, ?, ?, ?)"
                        ),
                        (call_sid, time.time(), "server_lost", json.dumps({"worker": worker_id})),
                    )
            return sorted(str(row[0]) for row in lost)

        return list(self._read(sweep))


def _handoff(row: tuple[Any, ...]) -> dict[str, Any]:
    status, twiml, packet = row
    return {"status": status, "twiml": twiml, "packet": json.loads(packet)}
