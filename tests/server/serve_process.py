"""`voicebot serve` as a real subprocess on a free loopback port, for drain and worker tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import DEMO_AUDIO, FLOWS_DIR, REPO
from voicebot.tools.demo import demo_scenario
from voicebot.tools.simulator.caller import CallerSimulator, CallResult

STARTUP_SECS = 120.0
# These tests are about processes, not speech: the embedded stack, whatever models exist.
EMBEDDED = {"VOICEBOT_STT": "pocketsphinx", "VOICEBOT_TTS": "espeak"}


class ServeProcess:
    """One `voicebot serve` process (and its workers); output collected for assertions."""

    def __init__(
        self, db: Path, *args: str, port: int = 0, env: dict[str, str] | None = None
    ) -> None:
        command = [
            sys.executable, "-m", "voicebot", "serve", "--port", str(port), "--db", str(db),
            "--flows-dir", str(FLOWS_DIR), *args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), **EMBEDDED, **(env or {})},
            start_new_session=True,  # stop() can end the workers and decoders with it
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = 0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "| DEBUG" not in line:
                self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def started(self, workers: int = 1) -> None:
        """Wait until the port is known and every worker has finished its start-up."""
        deadline = time.monotonic() + STARTUP_SECS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}:\n{self.output}")
            match = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", self.output)
            if match and self.output.count("Application startup complete") >= workers:
                self.port = int(match.group(1))
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"serve did not start in {STARTUP_SECS:g} s:\n{self.output}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/twilio/stream"

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    async def exited(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"serve still running after {timeout:g} s:\n{self.output}")
            await asyncio.sleep(0.1)
        return self.process.returncode

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            return await client.get(path)


async def answered_demo_call(stream_url: str, speed: float) -> asyncio.Future[CallResult]:
    """Start the demo call; return it, running, once the bot has answered its first turn."""
    answered = asyncio.Event()

    def on_event(kind: str, **_: object) -> None:
        if kind == "reply":
            answered.set()

    simulator = CallerSimulator(stream_url, speed=speed, on_event=on_event)
    call = asyncio.ensure_future(simulator.run(demo_scenario(DEMO_AUDIO)))
    await asyncio.wait_for(answered.wait(), 60)
    return call
