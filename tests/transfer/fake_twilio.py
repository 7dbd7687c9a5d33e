"""A fake Twilio REST API on 127.0.0.1: checks Basic auth, records every request, and answers
with a scripted list of statuses (then 200) so retries and failures can be driven."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class RecordedRequest:
    method: str
    path: str
    username: str
    password: str
    form: dict[str, str]
    at: float = field(default_factory=time.time)
    """When the request arrived (wall clock, as the call record's event times)."""


@dataclass
class FakeTwilio:
    username: str
    password: str
    statuses: list[int] = field(default_factory=list)
    """Answer these statuses first, in order; then 200."""
    requests: list[RecordedRequest] = field(default_factory=list)
    delay: float = 0.0
    """Seconds to wait before answering (a slow API)."""
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        user, _, password = "", "", ""
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        form = dict(parse_qsl(await request.text()))
        arrived = time.time()
        await asyncio.sleep(self.delay)
        self.requests.append(
            RecordedRequest(request.method, request.path, user, password, form, arrived)
        )
        if (user, password) != (self.username, self.password):
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        if self.statuses:
            status = self.statuses.pop(0)
            return web.json_response({"code": 20500, "message": "scripted"}, status=status)
        call_sid = request.match_info["call_sid"]
        body = {
            "sid": call_sid,
            "account_sid": request.match_info["account"],
            "status": "in-progress",
        }
        return web.Response(text=json.dumps(body), content_type="application/json")


@asynccontextmanager
async def fake_twilio(username: str, password: str) -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(username, password)
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Calls/{call_sid}.json", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()
