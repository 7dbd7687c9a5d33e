"""The robustness campaign (issue 16), as functions `bench/robustness.py` prints and a bounded
test runs: mutated frames over signed calls, hostile flow YAML (alone and dropped into a
running server), and a soak that samples threads, file descriptors and memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from loguru import logger

from voicebot.flows.isolated import LoadStats
from voicebot.tools.demo import LocalServer
from voicebot.tools.hostile_flows import write_hostile_flows
from voicebot.tools.simulator import fuzz
from voicebot.twilio.signature import HEADER, sign

SILENCE = b"\xff" * 160


class ErrorLog:
    """Every ERROR line from voicebot (loguru) and from uvicorn/starlette (logging) while
    open: an ASGI traceback shows up here."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._sink = 0
        self._handler = logging.Handler(logging.ERROR)
        self._handler.emit = lambda record: self.lines.append(record.getMessage())  # type: ignore[method-assign]

    def __enter__(self) -> ErrorLog:
        self._sink = logger.add(lambda m: self.lines.append(str(m)), level="ERROR")
        logging.getLogger().addHandler(self._handler)
        return self

    def __exit__(self, *_exc: object) -> None:
        logger.remove(self._sink)
        logging.getLogger().removeHandler(self._handler)


@dataclass
class FuzzCounts:
    calls: int = 0
    frames: int = 0
    bad_frames: int = 0
    lost: int = 0
    """Calls with no record, or whose stream the server dropped (`stream_dropped`/no end)."""
    end_reasons: Counter[str] = field(default_factory=Counter)
    """How the calls ended: `caller_hung_up` unless the bot acted on what reached it (noise
    in mutated audio can be heard as speech, and retries can end in a transfer)."""
    tracebacks: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


async def fuzz_call(
    server: LocalServer, token: str | None, frames: list[str], before_start: list[str]
) -> tuple[str, int]:
    """One signed call: `before_start` frames, `start`, then `frames` each followed by a
    valid 20 ms of silence, then `stop`. Returns the call SID and the frames sent."""
    url = server.stream_url
    headers = {HEADER: sign(token, url)} if token else {}
    call_sid = "CA" + uuid.uuid4().hex
    sent = 0
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        for frame in before_start:
            await ws.send(frame)
            sent += 1
        start = {"streamSid": "MZ1", "callSid": call_sid, "customParameters": {}}
        await ws.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": start}))
        for i, frame in enumerate(frames):
            await ws.send(frame)
            await ws.send(fuzz.media_frame(SILENCE, i))
            sent += 1
            if i % 50 == 0:
                await asyncio.sleep(0.01)  # the caller's clock: the server must keep up
        await ws.send(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {}}))
    return call_sid, sent


async def fuzz_calls(
    server: LocalServer, token: str | None, calls: int, frames_per_call: int, seed: int = 16
) -> FuzzCounts:
    """`calls` signed calls, each with every targeted shape (mid-call and before start) and
    `frames_per_call` random mutations."""
    rng = random.Random(seed)
    counts = FuzzCounts()
    targeted = list(fuzz.TARGETED.values())
    with ErrorLog() as errors:
        for _ in range(calls):
            frames = [*targeted, *fuzz.mutated_frames(rng, frames_per_call, media_and_marks=True)]
            call_sid, sent = await fuzz_call(server, token, frames, targeted)
            counts.calls += 1
            counts.frames += sent
            record = await _ended(server, call_sid)
            reason = record["end_reason"] if record else None
            counts.end_reasons[str(reason)] += 1
            if reason in (None, "stream_dropped"):
                counts.lost += 1
            for event in (record or {}).get("events", []):
                if event["kind"] == "bad_frames":
                    counts.kinds.update(event["counts"])
        counts.tracebacks = sum(
            "Traceback" in line or "Exception in ASGI" in line for line in errors.lines
        )
    counts.bad_frames = sum(counts.kinds.values())
    return counts


async def _ended(server: LocalServer, call_sid: str, secs: float = 10.0) -> dict[str, Any] | None:
    for _ in range(int(secs / 0.05)):
        record = server.ctx.store.get_call(call_sid)
        if record and record["end_reason"]:
            return record
        await asyncio.sleep(0.05)
    return server.ctx.store.get_call(call_sid)


# ---------------------------------------------------------------------------------------------
# Hostile YAML


@dataclass
class YamlResult:
    name: str
    expected: str
    problem: str
    secs: float
    peak_mb: float
    """The loading process's peak RSS (Python, pydantic and voicebot's flow code included)."""
    added_mb: float = 0.0
    """What the load added to the peak RSS the imports had reached."""

    @property
    def refused_as_expected(self) -> bool:
        return f": {self.expected}: " in self.problem and ":" in self.problem.split(": ")[0]


_CHILD = """
import json, resource, sys, time
from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flow
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load_flow(sys.argv[1]); problem = "loaded"
except FlowError as exc:
    problem = exc.problems[0]
except BaseException as exc:
    problem = "traceback: " + type(exc).__name__
secs = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"problem": problem, "secs": secs, "peak_mb": after / 1024,
                  "added_mb": (after - before) / 1024}))
"""


def hostile_yaml_results(folder: Path, isolated: bool = True) -> list[YamlResult]:
    """Load every hostile flow; with `isolated`, each in its own process so its memory and
    a hang are measured alone."""
    results: list[YamlResult] = []
    for name, (path, code) in write_hostile_flows(folder).items():
        if isolated:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path)],
                capture_output=True, text=True, timeout=120, env=env,
            )  # fmt: skip
            data = json.loads(out.stdout.strip().splitlines()[-1])
        else:
            from voicebot.exceptions import FlowError
            from voicebot.flows.loader import load_flow

            start = time.perf_counter()
            try:
                load_flow(path)
                problem = "loaded"
            except FlowError as exc:
                problem = exc.problems[0]
            data = {"problem": problem, "secs": time.perf_counter() - start, "peak_mb": 0.0}
        result = YamlResult(name, code, data["problem"], data["secs"], data["peak_mb"])
        result.added_mb = data.get("added_mb", 0.0)
        results.append(result)
    return results


@dataclass
class ReloadResult:
    name: str
    rejected: bool
    still_serving: bool
    loop_gap_ms: float
    """Longest the event loop went without running a 5 ms timer while the file reloaded."""
    secs: float = 0.0
    """From the copy to the rejection logged (the watcher's debounce included)."""
    file_secs: float = 0.0
    """The file's own load time in the loading process."""
    peak_mb: float = 0.0
    """The loading process's peak RSS (its imports included)."""


class LoopGap:
    """The longest stall of the running event loop while open (a 5 ms ticker's overshoot)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - before - 0.005)

    async def __aenter__(self) -> LoopGap:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def big_valid_flow(nodes: int = 4000) -> str:
    """A valid flow of ~0.9 MB (the size that once stalled live calls for 2.6 s)."""
    text = "flow: big\nnodes:\n"
    words = "please hold while I look that up for you and " * 4
    for i in range(nodes):
        nxt = f"n{i + 1}" if i + 1 < nodes else None
        text += f'  n{i}:\n    say: "{words}{i}"\n'
        text += f"    next: {nxt}\n" if nxt else "    hangup: true\n"
    return text


async def drop_into_server(
    server: LocalServer, names: list[str] | None = None
) -> list[ReloadResult]:
    """Copy each hostile flow into the running server's watched folder (then remove it):
    each must be logged as rejected (at its own or an included file's line) while the
    previous flows keep serving."""
    flows_dir = Path(server.ctx.settings.flows_dir)
    scratch = flows_dir.parent / "hostile_source"
    hostile = write_hostile_flows(scratch)
    shutil.copytree(scratch / "shared", flows_dir / "shared", dirs_exist_ok=True)
    results: list[ReloadResult] = []
    for name in names or list(hostile):
        path, _code = hostile[name]
        target = flows_dir / path.name
        before = server.ctx.flows
        with ErrorLog() as errors:
            async with LoopGap() as gap:
                start = time.perf_counter()
                shutil.copy(path, target)
                rejected = await _until(_logged(errors, "flow edit rejected"), 10.0)
                secs = time.perf_counter() - start
        # The same flows as before (equal: a late reload of the unchanged folder, from an event
        # of the previous removal, installs a copy of them).
        still = server.ctx.flows == before
        result = ReloadResult(name, rejected, still, gap.worst * 1000, secs)
        load = server.ctx.flow_health.last_load
        if load is not None:
            result.file_secs, result.peak_mb = load.file_secs.get(str(target), 0.0), load.peak_mb
        results.append(result)
        await _removed(server, target)
    return results


async def reload_gap_ms(server: LocalServer) -> tuple[float, LoadStats | None]:
    """The worst event-loop stall while a big valid flow is saved and hot-reloaded, and how
    its load went in the loading process."""
    target = Path(server.ctx.settings.flows_dir) / "big.yaml"
    before = server.ctx.flows
    async with LoopGap() as gap:
        target.write_text(big_valid_flow())
        await _until(lambda: server.ctx.flows is not before, 30.0)
    load = server.ctx.flow_health.last_load
    await _removed(server, target)
    return gap.worst * 1000, load


async def _removed(server: LocalServer, target: Path) -> None:
    """Remove `target` and wait for the reload that follows (it loads the flows as before)."""
    reloaded = server.ctx.flow_health.reloaded_at
    target.unlink()
    await _until(lambda: server.ctx.flow_health.reloaded_at != reloaded, 10.0)


def _logged(errors: ErrorLog, text: str) -> Any:
    return lambda: any(text in line for line in errors.lines)


async def _until(condition: Any, secs: float) -> bool:
    for _ in range(int(secs / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return bool(condition())


# ---------------------------------------------------------------------------------------------
# Soak


@dataclass
class Sample:
    calls: int
    threads: int
    fds: int
    rss_mb: float


def sample(calls: int) -> Sample:
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1
    rss = _rss_mb()
    return Sample(calls, threading.active_count(), fds, rss)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
