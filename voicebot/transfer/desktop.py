"""POST each handoff packet to the agent desktop: HMAC-signed, retried with backoff, in the
background so the caller never waits on it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import httpx
from loguru import logger

from voicebot.transfer.handoff import HandoffPacket

SIGNATURE_HEADER = "X-Voicebot-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class AgentDesktopNotifier:
    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._tasks: set[asyncio.Task[bool]] = set()

    def send(self, packet: HandoffPacket) -> asyncio.Task[bool]:
        """Start delivering `packet`; returns the task (kept referenced until it finishes)."""
        task = asyncio.get_running_loop().create_task(self.deliver(packet))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def deliver(self, packet: HandoffPacket) -> bool:
        body = packet.model_dump_json().encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        log = logger.bind(call_sid=packet.call_sid, handoff=packet.id)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(self.attempts):
                try:
                    response = await client.post(self.url, content=body, headers=headers)
                    if response.status_code < 300:
                        return True
                    if response.status_code < 500 and response.status_code != 429:
                        log.warning(f"agent desktop refused handoff: HTTP {response.status_code}")
                        return False
                    error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                if attempt + 1 < self.attempts:
                    await asyncio.sleep(self.backoff * 2**attempt)
        log.warning(f"agent desktop unreachable after {self.attempts} attempts ({error})")
        return False
