"""PostgreSQL goes away under a store: writes queue in order (bounded), reads fail at once
with StoreUnavailable, and everything queued is written when the server returns."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.postgres import PostgresServer, start_postgres
from voicebot.exceptions import StoreUnavailable
from voicebot.storage import connection
from voicebot.storage.postgres import PostgresCallStore


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.destroy()


def test_writes_wait_in_order_while_the_server_is_down(
    own_postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "MAX_PENDING_WRITES", 5)
    url = own_postgres.database()
    store = PostgresCallStore(url)
    store.start_call("CA1", "MZ1", "acme_support", None)
    store.add_event("CA1", "before", n=0)
    own_postgres.stop()

    started = time.monotonic()
    for n in range(1, 8):  # 7 writes, room for 5: the last two are dropped, not the first
        store.add_event("CA1", "during", n=n)
    assert time.monotonic() - started < 1.0  # no write waited for the database
    assert store.pending_writes == 5
    with pytest.raises(StoreUnavailable):
        store.get_call("CA1")

    own_postgres.start()
    assert store.flush(15.0)
    record = PostgresCallStore(url).get_call("CA1")
    assert record is not None
    assert [(e["kind"], e["n"]) for e in record["events"]] == [
        ("before", 0), ("during", 1), ("during", 2), ("during", 3), ("during", 4), ("during", 5),
    ]  # fmt: skip
    store.add_event("CA1", "after", n=8)  # the store is itself again
    assert store.get_call("CA1")["events"][-1]["kind"] == "after"  # type: ignore[index]
