"""Replaying a capture against a server on loopback that hangs up after a given frame: the
caller's trailing line audio may be cut short, anything the caller still had to say may not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from voicebot.tools.simulator.capture import replay_capture


def frame(t: float, event: str, **data: Any) -> dict[str, Any]:
    return {"t": t, "frame": json.dumps({"event": event, "streamSid": "MZ1", **data})}


MEDIA = {"media": {"payload": "/w=="}}
# The original call: a key, the echo of the bot's last mark, then the caller's line audio
# until the server hung up.
CAPTURE = [
    frame(0.0, "media", **MEDIA),
    frame(0.01, "dtmf", dtmf={"digit": "1"}),
    frame(0.02, "mark", mark={"name": "say-1"}),
    *(frame(0.03 + i * 0.01, "media", **MEDIA) for i in range(20)),
]


@pytest.fixture
async def hang_up_after() -> AsyncIterator[tuple[list[str], dict[str, int]]]:
    """A server that closes the socket once it has read `limit["events"]` non-handshake
    events (the bot hanging up); `url[0]` is where it listens."""
    url: list[str] = []
    limit = {"events": 0}

    async def handler(ws: ServerConnection) -> None:
        seen = 0
        async for raw in ws:
            if json.loads(raw).get("event") in ("connected", "start"):
                continue
            seen += 1
            if seen >= limit["events"]:
                await ws.close()
                return

    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        url.append(f"ws://127.0.0.1:{port}/twilio/stream")
        yield url, limit


async def replay(url: str) -> Any:
    return await replay_capture(
        url, CAPTURE, call_sid="CA1", caller="+15550100", parameters={}, reply_timeout=2.0
    )


async def test_a_hang_up_during_the_trailing_line_audio_is_how_the_call_ended(
    hang_up_after: tuple[list[str], dict[str, int]],
) -> None:
    url, limit = hang_up_after
    limit["events"] = 4  # the mark echo and one frame of the trailing audio
    result = await replay(url[0])
    assert result.error is None
    assert result.ended_by == "bot"


async def test_a_hang_up_before_the_caller_keyed_is_a_failure(
    hang_up_after: tuple[list[str], dict[str, int]],
) -> None:
    url, limit = hang_up_after
    limit["events"] = 1  # only the first media frame: the key and the echo never got there
    result = await replay(url[0])
    assert result.error in (
        "server closed the stream mid-call",
        "server closed the stream before the capture ended",
    )
