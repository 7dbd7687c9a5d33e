"""The call store's schema, as numbered migrations with one text per database.

`schema_migrations` records the versions applied; a store applies the missing ones at open,
inside one transaction that also locks out a second process migrating at the same moment.
Version 1 is the schema SQLite stores had before migrations existed, so their data carries
over. Both databases get the same tables and columns; only types and syntax differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Backend = Literal["sqlite", "postgres"]


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    sqlite: str
    postgres: str

    def script(self, backend: Backend) -> list[str]:
        text = self.sqlite if backend == "sqlite" else self.postgres
        return [statement.strip() for statement in text.split(";") if statement.strip()]


MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    summary    TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""

MIGRATIONS = (
    Migration(
        1,
        "calls, events numbered per process, handoffs",
        sqlite="""
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
CREATE INDEX IF NOT EXISTS handoffs_by_call ON handoffs (call_sid)
""",
        postgres="""
CREATE TABLE calls (
    call_sid   TEXT PRIMARY KEY,
    stream_sid TEXT NOT NULL,
    flow       TEXT NOT NULL,
    caller     TEXT,
    started_at DOUBLE PRECISION NOT NULL,
    ended_at   DOUBLE PRECISION,
    end_reason TEXT
);
CREATE TABLE events (
    call_sid TEXT NOT NULL REFERENCES calls(call_sid),
    seq      INTEGER NOT NULL,
    at       DOUBLE PRECISION NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (call_sid, seq)
);
CREATE TABLE handoffs (
    id         TEXT PRIMARY KEY,
    call_sid   TEXT NOT NULL REFERENCES calls(call_sid),
    created_at DOUBLE PRECISION NOT NULL,
    queue      TEXT NOT NULL,
    status     TEXT NOT NULL,
    twiml      TEXT NOT NULL,
    packet     TEXT NOT NULL
);
CREATE INDEX handoffs_by_call ON handoffs (call_sid)
""",
    ),
    Migration(
        2,
        "event order from the database; flow versions; workers owning calls",
        # SQLite cannot change a primary key in place: the events move to a new table, in
        # their old order, and are numbered by an AUTOINCREMENT key from then on. Calls still
        # open were left by a process of the previous release (one process per store): lost.
        sqlite="""
CREATE TABLE events_v2 (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    call_sid TEXT NOT NULL REFERENCES calls(call_sid),
    at       REAL NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL
);
INSERT INTO events_v2 (call_sid, at, kind, data)
    SELECT call_sid, at, kind, data FROM events ORDER BY call_sid, seq;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_by_call ON events (call_sid, id);
ALTER TABLE handoffs ADD COLUMN pos INTEGER;
UPDATE handoffs SET pos = rowid;
ALTER TABLE calls ADD COLUMN flow_version TEXT;
ALTER TABLE calls ADD COLUMN worker_id TEXT;
UPDATE calls SET ended_at = (julianday('now') - 2440587.5) * 86400.0, end_reason = 'server_lost'
    WHERE ended_at IS NULL;
CREATE INDEX calls_by_start ON calls (started_at);
CREATE INDEX calls_open ON calls (worker_id) WHERE ended_at IS NULL;
CREATE TABLE flow_versions (
    version  TEXT PRIMARY KEY,
    flow     TEXT NOT NULL,
    source   TEXT NOT NULL,
    saved_at REAL NOT NULL
);
CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    pid_start    INTEGER,
    started_at   REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stopped_at   REAL
)
""",
        postgres="""
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events DROP COLUMN seq;
ALTER TABLE events ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE INDEX events_by_call ON events (call_sid, id);
CREATE SEQUENCE handoffs_pos;
ALTER TABLE handoffs ADD COLUMN pos BIGINT DEFAULT nextval('handoffs_pos');
ALTER TABLE calls ADD COLUMN flow_version TEXT;
ALTER TABLE calls ADD COLUMN worker_id TEXT;
CREATE INDEX calls_by_start ON calls (started_at);
CREATE INDEX calls_open ON calls (worker_id) WHERE ended_at IS NULL;
CREATE TABLE flow_versions (
    version  TEXT PRIMARY KEY,
    flow     TEXT NOT NULL,
    source   TEXT NOT NULL,
    saved_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    pid_start    BIGINT,
    started_at   DOUBLE PRECISION NOT NULL,
    heartbeat_at DOUBLE PRECISION NOT NULL,
    stopped_at   DOUBLE PRECISION
)
""",
    ),
)

LATEST = MIGRATIONS[-1].version
