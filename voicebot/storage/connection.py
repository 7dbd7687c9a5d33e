"""A database connection whose writes survive the database going away: the part of the call
store that does not know what a call is (`sql.SqlCallStore` builds on it).

Writes are committed as they happen. When the database is unreachable they are queued in
order (bounded) and a background thread writes them when it returns, so a call goes on;
reads meanwhile raise `StoreUnavailable` at once. Subclasses give the connection, the
driver's placeholder style and which driver errors mean "database away".
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from loguru import logger

from voicebot.exceptions import StoreError, StoreUnavailable

# Writes kept while the database is away (~an hour of one busy call, minutes of many).
MAX_PENDING_WRITES = 20_000
RETRY_FIRST_SECS = 0.2
RETRY_MAX_SECS = 2.0

Params = Sequence[Any]
Write = tuple[str, Params]


class QueuedConnection:
    def __init__(self) -> None:
        self._db_lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending: deque[Write] = deque()
        self._down = False
        self._dropped = 0
        self._flusher: threading.Thread | None = None
        self._closed = False
        self._db: Any = self._connect()

    # -- what a backend provides --------------------------------------------------------------

    def _connect(self) -> Any:
        raise NotImplementedError

    def _is_outage(self, error: Exception) -> bool:
        """Whether `error` means the database cannot be reached (retry later), not a bug."""
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        """`sql` written with `?` placeholders, in the driver's style."""
        return sql

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield

    # -- writing, queued while the database is away -------------------------------------------

    def _write(self, *writes: Write) -> None:
        """Commit `writes` together now, or queue them (in order) if the database is away."""
        with self._db_lock:
            with self._pending_lock:
                queued = self._down
                if queued:
                    self._queue(writes)
            if queued:
                return
            try:
                self._apply(writes)
            except Exception as error:
                if not self._is_outage(error):
                    raise StoreError(f"call store write failed: {error}") from error
                self._went_away(error)
                with self._pending_lock:
                    self._queue(writes)

    def _apply(self, writes: Sequence[Write]) -> None:
        if len(writes) == 1:
            sql, params = writes[0]
            self._db.execute(self._sql(sql), params)
            return
        with self._transaction() as db:
            for sql, params in writes:
                db.execute(self._sql(sql), params)

    def _queue(self, writes: Sequence[Write]) -> None:
        if len(self._pending) + len(writes) > MAX_PENDING_WRITES:
            self._dropped += len(writes)
            if self._dropped == len(writes):
                logger.error("call store away too long: write queue full, dropping new writes")
            return
        self._pending.append(writes[0] if len(writes) == 1 else ("", list(writes)))

    def _went_away(self, error: Exception) -> None:
        with self._pending_lock:
            if self._down:
                return
            self._down = True
            # The previous flusher cleared `_flusher` when it finished, under this lock.
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_when_back, name="call-store-retry", daemon=True
                )
                self._flusher.start()
        logger.warning(f"call store unreachable, queueing writes until it returns: {error}")

    def _flush_when_back(self) -> None:
        delay = RETRY_FIRST_SECS
        while not self._closed:
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECS)
            try:
                fresh = self._connect()  # outside the lock: a slow connect blocks no call
            except Exception as error:
                if not self._is_outage(error):
                    logger.error(f"call store reconnect failed: {error}")
                continue
            with self._db_lock:
                old, self._db = self._db, fresh
                _close_quietly(old)
                if self._drain():
                    logger.info(f"call store back; queued writes written ({self._dropped} lost)")
                    return

    def _drain(self) -> bool:
        """Write the queue in order (holding the db lock); True when it is empty and the
        store is up again, False when the database went away again."""
        while True:
            with self._pending_lock:
                if not self._pending:
                    self._down = False
                    self._flusher = None
                    return True
                sql, params = self._pending[0]
            writes: Sequence[Write] = params if sql == "" else [(sql, params)]
            try:
                self._apply(writes)
            except Exception as error:
                if self._is_outage(error):
                    return False
                # A queued write the database refuses will never succeed: skip it, say why.
                logger.error(f"call store dropped a queued write it refused: {error}")
            with self._pending_lock:
                self._pending.popleft()

    @property
    def pending_writes(self) -> int:
        with self._pending_lock:
            return len(self._pending)

    def flush(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._pending_lock:
                if not self._down:
                    return True
            time.sleep(0.05)
        return False

    def _read(self, query: Callable[[Any], Any]) -> Any:
        with self._db_lock:
            if self._down:
                raise StoreUnavailable("call store unreachable; writes are queued")
            try:
                return query(self._db)
            except Exception as error:
                if not self._is_outage(error):
                    raise StoreError(f"call store read failed: {error}") from error
                self._went_away(error)
                raise StoreUnavailable(f"call store unreachable: {error}") from error

    def _rows(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return list(self._read(lambda db: db.execute(self._sql(sql), params).fetchall()))

    def close(self) -> None:
        self._closed = True
        with self._db_lock:
            _close_quietly(self._db)


def _close_quietly(db: Any) -> None:
    with contextlib.suppress(Exception):  # a connection the database already dropped
        db.close()
