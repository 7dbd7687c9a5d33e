"""The calls one worker is running, and its drain: refuse new calls, let live ones finish.

On SIGTERM (`serving.DrainingServer`) the worker starts draining: the voice webhook, the
stream handshake and `/healthz` answer 503 so the load balancer sends new calls elsewhere;
live calls go on until they end or the drain timeout passes. Calls still running then are
cut; Twilio asks `/twilio/after-stream` (any worker) about each, and it queues the caller for
a person as for any dropped stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from loguru import logger

Cancel = Callable[[], Awaitable[None]]


class LiveCalls:
    """This worker's live calls by call SID, each with how to cut it short."""

    def __init__(self) -> None:
        self.draining = False
        self._calls: dict[str, Cancel] = {}
        self._idle: asyncio.Event | None = None

    def __len__(self) -> int:
        return len(self._calls)

    def add(self, call_sid: str, cancel: Cancel) -> None:
        self._calls[call_sid] = cancel

    def remove(self, call_sid: str) -> None:
        self._calls.pop(call_sid, None)
        if not self._calls and self._idle is not None:
            self._idle.set()

    async def drain(self, timeout: float) -> int:
        """Refuse new calls, wait up to `timeout` s for live ones to end, then cut the rest.
        Returns how many were cut."""
        self.draining = True
        if not self._calls:
            return 0
        logger.info(f"draining: waiting up to {timeout:g} s for {len(self._calls)} live calls")
        self._idle = asyncio.Event()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return 0
        except TimeoutError:
            left = list(self._calls.items())
        logger.warning(f"drain timeout: cutting {len(left)} live calls (after-stream queues them)")
        await asyncio.gather(*(cancel() for _, cancel in left), return_exceptions=True)
        return len(left)
