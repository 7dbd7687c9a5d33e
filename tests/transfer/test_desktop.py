"""The agent-desktop webhook: HMAC-signed JSON, retried with backoff, in the background."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from tests.transfer.test_handoff_and_twiml import packet
from tests.transfer.test_routing import route
from voicebot.transfer.desktop import SIGNATURE_HEADER, AgentDesktopNotifier


@asynccontextmanager
async def desktop(statuses: list[int]) -> AsyncIterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get(SIGNATURE_HEADER, "")))
        return web.Response(status=statuses.pop(0) if statuses else 204)

    app = web.Application()
    app.router.add_post("/handoffs", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/handoffs", received
    finally:
        await runner.cleanup()


async def test_packet_is_posted_signed_and_retried_after_server_errors() -> None:
    sent = packet(route())
    async with desktop([500, 503]) as (url, received):
        notifier = AgentDesktopNotifier(url, "desk-secret", backoff=0.01)
        assert await notifier.send(sent) is True
    assert len(received) == 3
    body, signature = received[-1]
    expected = hmac.new(b"desk-secret", body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    assert json.loads(body)["id"] == sent.id and json.loads(body)["version"] == 1


async def test_a_refusal_is_not_retried_and_an_unreachable_desktop_gives_up() -> None:
    async with desktop([400]) as (url, received):
        assert await AgentDesktopNotifier(url, None, backoff=0.01).deliver(packet(route())) is False
    assert len(received) == 1 and received[0][1] == ""
    gone = AgentDesktopNotifier("http://127.0.0.1:9/x", None, attempts=2, backoff=0.01)
    assert await gone.deliver(packet(route())) is False
