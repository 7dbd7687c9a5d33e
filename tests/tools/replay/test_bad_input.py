"""Bad input never stops a run: each broken scenario fails with a clear reason, the rest run.

The servers here are fakes on loopback that misbehave on purpose (no speech stack needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tests.conftest import shared_audio
from voicebot.tools.replay.report import write_junit, write_report
from voicebot.tools.replay.runner import RunOptions, run_all

KEYS_ONLY = "flow: acme_support\nturns: [{keys: '0'}]\n"


@contextlib.asynccontextmanager
async def fake_server(behaviour: str) -> AsyncIterator[str]:
    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            if behaviour == "closes" and '"start"' in str(raw):
                await ws.close()
                return
            # "silent": read everything, answer nothing

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/twilio/stream"


@contextlib.asynccontextmanager
async def mute_tcp_server() -> AsyncIterator[str]:
    """Accepts connections and never says a word, not even the websocket handshake."""
    held: list[Any] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/twilio/stream"
    finally:
        for writer in held:
            writer.close()
        server.close()


def library(tmp_path: Path) -> list[Path]:
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC but not really" * 20)
    files = {
        "a_unknown_key.yaml": "flow: acme_support\ncolour: red\nturns: [{keys: '1'}]\n",
        "b_missing_audio.yaml": "flow: acme_support\nturns: [{audio: nowhere.wav}]\n",
        "c_corrupt_audio.yaml": "flow: acme_support\nturns: [{audio: corrupt.flac}]\n",
        "d_keys.yaml": KEYS_ONLY,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [tmp_path / name for name in sorted(files)]


def options(url: str, tmp_path: Path) -> RunOptions:
    return RunOptions(url=url, speed="fast", jobs=2, reply_timeout=0.5, out_dir=tmp_path / "out")


async def test_server_that_never_answers(tmp_path: Path) -> None:
    async with fake_server("silent") as url:
        results = await run_all(library(tmp_path), options(url, tmp_path))
    reasons = {r.name: r.reason for r in results}
    assert [r.status for r in results] == ["fail"] * 4
    assert "colour: unknown key" in reasons["a_unknown_key"]
    assert "nowhere.wav: no such file" in reasons["b_missing_audio"]
    assert "corrupt.flac: cannot decode" in reasons["c_corrupt_audio"]
    assert reasons["d_keys"] == "call: timed out: no reply from the bot"


async def test_server_that_closes_mid_call(tmp_path: Path) -> None:
    async with fake_server("closes") as url:
        [result] = await run_all([library(tmp_path)[3]], options(url, tmp_path))
    assert result.status == "fail"
    assert result.reason == "call: server closed the stream: no reply from the bot"


async def test_server_that_never_completes_the_handshake(tmp_path: Path) -> None:
    async with mute_tcp_server() as url:
        [result] = await run_all([library(tmp_path)[3]], options(url, tmp_path))
    assert result.status == "fail"
    assert result.reason.startswith(f"call: could not connect to {url}")


async def test_nobody_listening(tmp_path: Path) -> None:
    async with fake_server("silent") as url:
        pass  # closed again: the port is free and refuses connections
    [result] = await run_all([library(tmp_path)[3]], options(url, tmp_path))
    assert result.reason.startswith("call: could not connect")


@pytest.mark.parametrize("name", ["bad.wav", "evil.wav", "awful.wav", "null.wav"])
async def test_shared_malformed_audio_fails_the_scenario(tmp_path: Path, name: str) -> None:
    source = shared_audio("malformed", name)
    shutil.copy(source, tmp_path / name)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"flow: acme_support\nturns: [{{audio: {name}}}]\n", encoding="utf-8")
    [result] = await run_all([scenario], options("ws://127.0.0.1:9/unused", tmp_path))
    assert result.status == "fail"
    assert name in result.reason


async def test_reports_say_what_happened(tmp_path: Path) -> None:
    async with fake_server("silent") as url:
        results = await run_all(library(tmp_path), options(url, tmp_path))
    write_junit(results, tmp_path / "junit.xml")
    write_report(results, tmp_path / "report.html")
    write_report(results, tmp_path / "report.md")
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert 'tests="4"' in junit and 'failures="4"' in junit
    assert "no reply from the bot" in junit
    for report in ("report.html", "report.md"):
        text = (tmp_path / report).read_text(encoding="utf-8")
        assert "unknown key" in text and "no such file" in text and "cannot decode" in text
