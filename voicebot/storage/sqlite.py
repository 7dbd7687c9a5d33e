"""The embedded call store: one SQLite file in WAL mode, shared safely by several processes.

Writers queue on SQLite's own lock (busy timeout), and event order comes from an
AUTOINCREMENT key, so two processes on one file never collide.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voicebot.exceptions import StoreUnavailable
from voicebot.storage.sql import SqlCallStore

BUSY_TIMEOUT_SECS = 10.0


class SqliteCallStore(SqlCallStore):
    backend = "sqlite"
    now_sql = "((julianday('now') - 2440587.5) * 86400.0)"
    # One statement under SQLite's write lock: no two writers get the same position.
    next_handoff_pos = "(SELECT COALESCE(MAX(pos), 0) + 1 FROM handoffs)"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        super().__init__()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECS
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot open the call store {self.path}: {error}") from error
        return db

    def _is_outage(self, error: Exception) -> bool:
        if isinstance(error, StoreUnavailable):
            return True
        text = str(error)
        return isinstance(error, sqlite3.OperationalError) and (
            "locked" in text or "busy" in text or "disk I/O" in text or "unable to open" in text
        )

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def reopen(self) -> SqliteCallStore:
        other = SqliteCallStore(self.path)
        other.worker_id = self.worker_id
        return other
