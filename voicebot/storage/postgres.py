"""The call store on PostgreSQL (psycopg 3), for several workers and hosts on one database.

Selected by `VOICEBOT_DATABASE_URL=postgresql://user:pass@host/db`. Event order comes from an
identity column; migrations take an advisory lock so workers starting together migrate once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from voicebot.exceptions import ConfigError, StoreUnavailable
from voicebot.storage.sql import SqlCallStore

CONNECT_TIMEOUT_SECS = 3
# Any constant: the key of the advisory lock migrations hold.
MIGRATION_LOCK = 7_414_203_211


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class PostgresCallStore(SqlCallStore):
    backend = "postgres"
    now_sql = "extract(epoch from clock_timestamp())::float8"
    next_handoff_pos = "DEFAULT"

    def __init__(self, url: str) -> None:
        self.url = url
        self._placeholders: dict[str, str] = {}
        super().__init__()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            db = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECS)
            # Writes run on the calls' event loop: don't wait for the disk on each (a database
            # crash may lose its last fraction of a second, never corrupts; like SQLite's WAL
            # with synchronous=NORMAL). A voicebot crash loses nothing already sent.
            db.execute("SET synchronous_commit = off")
            return db
        except psycopg.Error as error:
            reason = redact_url(" ".join(str(error).split()))  # one line, no password
            if isinstance(error, psycopg.OperationalError):
                raise StoreUnavailable(
                    f"cannot connect to PostgreSQL at {redact_url(self.url)}: {reason}"
                ) from error
            raise ConfigError(
                f"VOICEBOT_DATABASE_URL is not a PostgreSQL URL psycopg understands: {reason}"
            ) from error

    def _is_outage(self, error: Exception) -> bool:
        return isinstance(
            error, StoreUnavailable | psycopg.OperationalError | psycopg.InterfaceError
        )

    def _sql(self, sql: str) -> str:
        converted = self._placeholders.get(sql)
        if converted is None:
            converted = self._placeholders[sql] = sql.replace("?", "%s")
        return converted

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._db.transaction():
            yield self._db

    def _lock_for_migration(self, db: Any) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

    def reopen(self) -> PostgresCallStore:
        other = PostgresCallStore(self.url)
        other.worker_id = self.worker_id
        return other
