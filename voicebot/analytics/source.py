"""Where the figures come from: any store with `list_calls` (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any, Protocol

from voicebot.analytics.calls import CallDigest, digest


class CallRecords(Protocol):
    def list_calls(
        self,
        since: float | None = None,
        until: float | None = None,
        flow: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]: ...


def calls_from(
    store: CallRecords,
    since: float | None = None,
    until: float | None = None,
    flow: str | None = None,
) -> list[CallDigest]:
    """The calls that started in [since, until), of `flow` if given, newest first."""
    return [digest(r) for r in store.list_calls(since=since, until=until, flow=flow)]
