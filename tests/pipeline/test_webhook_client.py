"""The webhook client against a real HTTP server on loopback: answers, failures, time-outs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

import pytest

from voicebot.dialogue.actions import CallWebhook
from voicebot.pipeline.webhook_client import WebhookClient

Reply = Callable[[str, bytes], tuple[int, bytes, float]]
"""(request line, body) -> (status, body, delay before answering)."""


async def read_request(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    """One HTTP/1.1 request off the socket: its request line and its body."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(
        (
            int(line.split(":")[1])
            for line in head.split("\r\n")
            if line.lower().startswith("content-length")
        ),
        0,
    )
    return head.split("\r\n")[0], await reader.readexactly(length)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[tuple[str, bytes]], list[Reply]]]:
    """A minimal HTTP/1.1 server: records requests and answers with the scripted reply."""
    seen: list[tuple[str, bytes]] = []
    replies: list[Reply] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request, body = await read_request(reader)
        seen.append((request, body))
        status, answer, delay = replies[0](request, body)
        await asyncio.sleep(delay)
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(answer)}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            + answer
        )
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen, replies
    srv.close()


def call(url: str, **kw: object) -> CallWebhook:
    base: dict[str, object] = {"method": "POST", "payload": {"account": "12345678"}, "timeout": 1.0}
    base.update(kw)
    return CallWebhook(url=url, **base)  # type: ignore[arg-type]


async def test_posts_the_slots_as_json_and_reads_the_answer(server) -> None:  # type: ignore[no-untyped-def]
    url, seen, replies = server
    replies.append(lambda req, body: (200, b'{"balance": "42.10"}', 0))
    result, _ = await WebhookClient(environ={"BILLING": url}).call(call("${BILLING}/balance"))
    assert result.ok and result.data == {"balance": "42.10"}
    assert seen[0][0] == "POST /balance HTTP/1.1"
    assert json.loads(seen[0][1]) == {"account": "12345678"}


async def test_get_sends_the_slots_as_query_parameters(server) -> None:  # type: ignore[no-untyped-def]
    url, seen, replies = server
    replies.append(lambda req, body: (200, b"{}", 0))
    result, _ = await WebhookClient().call(call(f"{url}/check", method="GET"))
    assert result.ok and seen[0][0] == "GET /check?account=12345678 HTTP/1.1"


@pytest.mark.parametrize(
    ("status", "body", "delay", "error"),
    [
        (500, b"{}", 0, "HTTP 500"),
        (200, b"<html>", 0, "answer is not JSON"),
        (200, b"{}", 2.0, "no answer within 1 s"),
    ],
)
async def test_failures_are_results_not_exceptions(
    server, status: int, body: bytes, delay: float, error: str
) -> None:  # type: ignore[no-untyped-def]
    url, _, replies = server
    replies.append(lambda req, b: (status, body, delay))
    result, _ = await WebhookClient().call(call(url))
    assert not result.ok and result.error == error


async def test_a_missing_environment_variable_is_a_failure() -> None:
    result, _ = await WebhookClient(environ={}).call(call("${NOPE}/x"))
    assert not result.ok and result.error == "environment variable NOPE is not set"


async def test_nobody_listening_is_a_failure() -> None:
    result, _ = await WebhookClient().call(call("http://127.0.0.1:9/x"))
    assert not result.ok and result.error.startswith("request failed")


async def test_calls_share_one_kept_alive_connection_to_the_backend() -> None:
    """Each call has its own WebhookClient; their requests reuse one connection to the
    backend instead of opening (and, for https, handshaking) a new one per request."""
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        answer = b'{"balance": "12.00"}'
        with contextlib.suppress(asyncio.IncompleteReadError):  # the client went away
            await answer_each(reader, writer, answer)

    async def answer_each(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: bytes
    ) -> None:
        while True:  # one kept-alive connection: requests until the client goes away
            await read_request(reader)
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Length: {len(answer)}\r\n"
                "Content-Type: application/json\r\n\r\n".encode()
                + answer
            )
            await writer.drain()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/balance"
    try:
        results = [(await WebhookClient().call(call(url)))[0] for _ in range(3)]
    finally:
        srv.close()
    assert [r.data for r in results] == [{"balance": "12.00"}] * 3
    assert connections == 1
