"""Where calls are kept: the call record store (SQLite embedded, or PostgreSQL), its schema and
migrations, and which worker process owns each live call."""

from __future__ import annotations

from pathlib import Path

from voicebot.storage.calls import CallStore


def open_store(database_url: str | None, db_path: str | Path) -> CallStore:
    """PostgreSQL when `database_url` is set (postgresql://…), else SQLite at `db_path`.

    Raises StoreUnavailable (one line: where, and why) when the database cannot be reached,
    ConfigError for a URL of another kind."""
    if database_url:
        from voicebot.exceptions import ConfigError

        if database_url.startswith(("postgresql://", "postgres://")):
            from voicebot.storage.postgres import PostgresCallStore

            return PostgresCallStore(database_url)
        if database_url.startswith("sqlite:///"):
            from voicebot.storage.sqlite import SqliteCallStore

            return SqliteCallStore(database_url.removeprefix("sqlite:///"))
        scheme = database_url.split(":", 1)[0]
        raise ConfigError(
            f"VOICEBOT_DATABASE_URL: unsupported database '{scheme}'; "
            "use postgresql://user:password@host:port/dbname (or leave it unset for SQLite)"
        )
    from voicebot.storage.sqlite import SqliteCallStore

    return SqliteCallStore(db_path)
