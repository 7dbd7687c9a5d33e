"""The call store's interface: what the server, transfers and dashboards may ask of it.

Two implementations share it (`sqlite.SqliteCallStore`, embedded default;
`postgres.PostgresCallStore`, selected by `VOICEBOT_DATABASE_URL`); `open_store` picks one.
A record is a dict: call_sid, stream_sid, flow, flow_version, caller (masked), worker_id,
started_at, ended_at, end_reason and `events` (each with a per-call `seq` from 1, `at`, `kind`
and its data), in the order the database assigned.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["CallStore", "mask_number"]


def mask_number(number: str | None) -> str | None:
    """Caller IDs are personal data: keep the last 4 digits, enough for an agent to check."""
    if not number:
        return number
    return "*" * max(0, len(number) - 4) + number[-4:]


class CallStore(Protocol):
    worker_id: str | None
    """The serving process this store records new calls under (`start_worker`), or None."""

    def start_call(
        self,
        call_sid: str,
        stream_sid: str,
        flow: str,
        caller: str | None,
        flow_version: str | None = None,
    ) -> None: ...

    def add_event(self, call_sid: str, kind: str, **data: Any) -> None: ...

    def end_call(self, call_sid: str, reason: str) -> None:
        """Record the end reason once; later calls (a second teardown path) change nothing."""

    def get_call(self, call_sid: str) -> dict[str, Any] | None: ...

    def list_calls(
        self,
        since: float | None = None,
        until: float | None = None,
        flow: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Calls that started in [since, until), newest first, shaped like `get_call`."""

    def open_calls(self) -> list[dict[str, Any]]:
        """Calls with no end yet (live, or left by a process that died), oldest first."""

    # -- handoffs: one per transfer, with the TwiML that carries it out ----------------------

    def add_handoff(
        self, handoff_id: str, call_sid: str, queue: str, twiml: str, packet: dict[str, Any]
    ) -> None: ...

    def set_handoff_status(self, handoff_id: str, status: str) -> None:
        """`pending` → `rest_redirected` | `rest_failed` | `recorded` | `after_stream`…"""

    def get_handoff(self, handoff_id: str) -> dict[str, Any] | None: ...

    def call_handoff(self, call_sid: str) -> dict[str, Any] | None:
        """The call's latest handoff."""

    def list_handoffs(self, limit: int = 50) -> list[dict[str, Any]]: ...

    # -- flow versions: what a call started on, so any worker routes it the same way -----------

    def save_flow_version(self, version: str, flow: str, source: str) -> None:
        """Keep a flow version's source (idempotent: a version is its content's hash)."""

    def flow_version_source(self, version: str) -> str | None: ...

    # -- workers: which process owns a call, and whether it still lives ------------------------

    def start_worker(self, host: str, pid: int, pid_start: int | None = None) -> str:
        """Register this process as a worker; its new calls are recorded under the id.
        `pid_start`: when the process started (tells a reused pid from the same process)."""

    def heartbeat(self) -> None: ...

    def stop_worker(self) -> None: ...

    def live_workers(self, host: str) -> list[tuple[str, int, int | None]]:
        """(worker id, pid, pid_start) of the workers on `host` not marked stopped."""

    def mark_worker_stopped(self, worker_id: str) -> None: ...

    def close_lost_calls(self, stale_after: float | None) -> list[str]:
        """End open calls whose worker is marked stopped, or sent no heartbeat for
        `stale_after` seconds (None: that rule is off), with `end_reason: server_lost`;
        their call SIDs."""

    @property
    def pending_writes(self) -> int:
        """Writes queued while the database is unreachable, written when it returns."""

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued writes are written; whether they all were."""

    def reopen(self) -> CallStore:
        """Another connection to the same database (for a background thread)."""

    def close(self) -> None: ...
