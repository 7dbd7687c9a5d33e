"""Which process owns a live call, and closing the calls of processes that died.

Each serving process registers as a worker (host, pid) and beats a heartbeat into the store
from a thread of its own. A call is lost when its worker is marked stopped, when the worker
was on this host and its process is gone (found at once on restart), or when its heartbeat
is older than `STALE_AFTER_SECS` by the database's clock (a dead host). A process is
known by host, pid and its start time, so a restarted container reusing pid 1 is a new one.
Lost calls get `end_reason: server_lost`; any worker may close them, at start-up and on each
beat; old heartbeats count only once the sweeping worker has reached the database for that
long (after an outage everyone's are old).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from loguru import logger

from voicebot.exceptions import StoreError
from voicebot.storage.calls import CallStore

HEARTBEAT_SECS = 5.0
# Six missed beats: longer than any stall a live worker survives, short enough for a report.
STALE_AFTER_SECS = 30.0


def this_host() -> str:
    return socket.gethostname()


def process_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, Linux), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so count after its ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_alive(pid: int, started: int | None) -> bool:
    """Whether the process that registered as (`pid`, `started`) still runs here."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    if started is None:
        return True
    now = process_start(pid)
    return now is None or now == started  # another start time: the pid was reused


def recover_lost_calls(
    store: CallStore, *, host: str | None = None, stale_after: float | None = STALE_AFTER_SECS
) -> list[str]:
    """Mark this host's dead workers stopped, then close every lost call; their SIDs.
    `stale_after` None: only stopped workers' calls (not those with old heartbeats)."""
    host = host or this_host()
    for worker_id, pid, started in store.live_workers(host):
        if worker_id != store.worker_id and not process_alive(pid, started):
            store.mark_worker_stopped(worker_id)
    lost = store.close_lost_calls(stale_after)
    if lost:
        logger.warning(f"closed {len(lost)} call(s) left open by a worker that died: server_lost")
    return lost


class WorkerLease:
    """This process as a worker of the store: registered, beating, sweeping, then stopped.

    The beat runs on its own thread and connection, so a busy event loop or a slow
    database never delays a call, and a stalled loop does not look like a dead worker."""

    def __init__(
        self,
        store: CallStore,
        *,
        interval: float = HEARTBEAT_SECS,
        stale_after: float = STALE_AFTER_SECS,
    ) -> None:
        self.store = store
        self.interval = interval
        self.stale_after = stale_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> list[str]:
        """Register, close calls lost by dead workers, start beating; the SIDs closed."""
        pid = os.getpid()
        self.store.start_worker(this_host(), pid, process_start(pid))
        # Beat before anything else can fail: a silent worker's calls are closed by others.
        self._thread = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)
        self._thread.start()
        try:  # old heartbeats count once this worker has seen the database for a while
            return recover_lost_calls(self.store, stale_after=None)
        except StoreError as error:  # the next beat tries again
            logger.warning(f"lost calls not checked at start-up: {error}")
            return []

    def _beat(self) -> None:
        store: CallStore | None = None
        # After an outage every worker's heartbeat is old: judge others by theirs only once
        # this one has reached the database for `stale_after` (by then theirs are fresh).
        reachable_since: float | None = time.monotonic()
        while not self._stop.wait(self.interval):
            try:
                store = store or self.store.reopen()
                store.heartbeat()
                reachable_since = reachable_since or time.monotonic()
                settled = time.monotonic() - reachable_since >= self.stale_after
                recover_lost_calls(store, stale_after=self.stale_after if settled else None)
            except StoreError as error:  # the database is away: beat again next time
                reachable_since = None
                logger.debug(f"heartbeat skipped: {error}")
        if store is not None:
            store.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        try:
            self.store.stop_worker()
        except StoreError as error:
            logger.warning(f"could not mark this worker stopped: {error}")
