"""Load a flows folder in a separate process, with a time and a memory limit.

A running server reloads flows here so that no part of a load (YAML parsing and pydantic
validation hold the GIL) ever runs in the process that carries live calls' audio. The child
imports only the flow code, loads the folder with `load_flows`, and sends back the validated
`Flow` models pickled (unpickling them costs ~16 ms for a 0.9 MB flow: no validation runs
again). Each load gets a fresh child; the next one is started as soon as a load ends, so its
imports are done by the next edit.

Limits: a file that takes longer than `secs` is stopped (the child is killed); the child's
address space may grow by at most `memory_mb` over what its imports use (RLIMIT_AS), so a
file that needs more fails with MemoryError, reported at that file. Either way the result is
one problem naming the file, in the loader's `file:line:col: code: message` form.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from voicebot.flows.flow import Flow

FILE_SECS = 1.5
"""Longest one flow file may take to load (the hostile set's slowest takes ~1 s alone)."""
MEMORY_MB = 100
"""Most address space a load may add to the loading process (a 0.9 MB flow adds ~17 MB)."""
START_SECS = 60.0
"""Longest the loading process may take to import the flow code (a loaded machine)."""


@dataclass
class LoadStats:
    """How a load went in its process (the dashboard and the robustness campaign show it)."""

    pid: int
    """The loading process (never the server's own)."""
    secs: float = 0.0
    """Wall time of the load itself, from request to result."""
    peak_mb: float = 0.0
    """The loading process's peak RSS, its imports included (Linux; else 0)."""
    file_secs: dict[str, float] = field(default_factory=dict)
    """Each file's load time."""


@dataclass
class Loaded:
    flows: dict[str, Flow] | None
    """The folder's flows; None when any file failed (then `problems` says why)."""
    problems: list[str]
    stats: LoadStats


class FlowLoader:
    """Loads a flows folder in a child process; keeps one child started for the next load."""

    def __init__(self, secs: float | None = None, memory_mb: int | None = None) -> None:
        self.secs = secs
        """Longest one file may take (default `FILE_SECS`, read at each load)."""
        self.memory_mb = memory_mb
        """Most memory a load may add (default `MEMORY_MB`, read at each load)."""
        self._next: _Child | None = None
        self._closed = False

    def start(self) -> None:
        """Start the next load's process now, so its imports are done by the next edit."""
        if self._next is None and not self._closed:
            self._next = _Child.spawn()

    def load(self, directory: Path) -> Loaded:
        """The flows of `directory`, loaded in a child within the limits. Blocks until the
        child answers, is stopped or dies (call it from a worker thread on an event loop)."""
        child, self._next = self._next or _Child.spawn(), None
        try:
            secs = FILE_SECS if self.secs is None else self.secs
            memory_mb = MEMORY_MB if self.memory_mb is None else self.memory_mb
            return child.load(directory, secs, memory_mb)
        finally:
            child.close()
            self.start()

    def close(self) -> None:
        self._closed = True
        if self._next is not None:
            self._next.close()
            self._next = None


def load_flows_apart(
    directory: Path, secs: float = FILE_SECS, memory_mb: int = MEMORY_MB
) -> Loaded:
    """One load in a fresh child process (`FlowLoader` keeps the next child ready)."""
    child = _Child.spawn()
    try:
        return child.load(directory, secs, memory_mb)
    finally:
        child.close()


class _Child:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.process = process
        self.conn = conn

    @classmethod
    def spawn(cls) -> _Child:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        command = [sys.executable, "-m", "voicebot.flows.isolated", str(theirs.fileno())]
        process = subprocess.Popen(
            command, env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL
        )
        theirs.close()
        return cls(process, Connection(ours.detach()))

    def load(self, directory: Path, secs: float, memory_mb: int) -> Loaded:
        stats = LoadStats(pid=self.process.pid)
        where = str(directory)

        def failed(code: str, message: str) -> Loaded:
            return Loaded(None, [f"{where}:1:1: {code}: {message}"], stats)

        if not self._wait("ready", START_SECS):
            return failed("load_failed", "the flow loading process did not start")
        start = time.perf_counter()
        self.conn.send(("load", str(directory), memory_mb))
        deadline = time.monotonic() + secs
        while True:
            message = self._receive(deadline - time.monotonic())
            stats.secs = time.perf_counter() - start
            if message is None:
                self._kill()
                return failed("load_limit", f"loading took longer than {secs:g} s; stopped")
            if message == ():
                how = _how_it_ended(self.process)
                return failed("load_failed", f"the flow loading process died ({how})")
            if message[0] == "file":
                where, deadline = message[1], time.monotonic() + secs
            elif message[0] == "done":
                _kind, flows, problems, peak_mb, file_secs = message
                stats.peak_mb, stats.file_secs = peak_mb, file_secs
                return Loaded(flows, problems, stats)

    def _wait(self, kind: str, secs: float) -> bool:
        message = self._receive(secs)
        return bool(message) and message[0] == kind  # type: ignore[index]

    def _receive(self, secs: float) -> tuple[Any, ...] | None:
        """The child's next message; None if none came within `secs`, () if it hung up."""
        try:
            if not self.conn.poll(max(secs, 0.0)):
                return None
            message: tuple[Any, ...] = self.conn.recv()
            return message
        except (EOFError, OSError):
            return ()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def close(self) -> None:
        self.conn.close()
        try:  # it exits once it has answered, or when its socket closes (a spare)
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self._kill()
            self.process.wait()


def _how_it_ended(process: subprocess.Popen[bytes]) -> str:
    try:
        code = process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        return "it stopped answering"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}, most likely out of memory"
    return f"exit code {code}"


# ---------------------------------------------------------------------------------------------
# The child


def _child(fd: int) -> None:
    from voicebot.exceptions import FlowError
    from voicebot.flows.loader import OUT_OF_MEMORY, load_flows

    conn = Connection(fd)
    conn.send(("ready", os.getpid()))
    request = conn.recv()
    _kind, directory, memory_mb = request
    limit = _limit_memory(memory_mb)
    file_secs: dict[str, float] = {}
    current: list[Any] = []

    def on_file(path: Path) -> None:
        now = time.perf_counter()
        if current:
            file_secs[current[0]] = now - current[1]
        current[:] = [str(path), now]
        conn.send(("file", str(path)))

    flows: dict[str, Flow] | None = None
    problems: list[str] = []
    try:
        flows = load_flows(directory, on_file=on_file)
    except FlowError as error:
        problems = error.problems
    except MemoryError:  # outside any one file's load (those are reported by the loader)
        problems = [f"{current[0] if current else directory}:1:1: {OUT_OF_MEMORY}"]
    if current:
        file_secs[current[0]] = time.perf_counter() - current[1]
    if limit is not None and _vm_peak() >= limit - min(LIMIT_SLACK, memory_mb * 2**19):
        problems = [_blame_memory(problem, memory_mb) for problem in problems]
    # VmHWM, not ru_maxrss: that one keeps the server's RSS, which the fork inherited.
    peak_mb = (_vm("VmHWM") or 0) / 2**20
    conn.send(("done", flows, problems, peak_mb, file_secs))
    os._exit(0)  # no teardown of the loaded heap: the server is waiting for the exit


# A load that failed with its address space this close to the limit ran out of memory (a
# failed allocation is rarely larger), whatever it raised: CPython 3.11 can raise SystemError
# instead of MemoryError when a frame cannot be allocated.
LIMIT_SLACK = 8 * 2**20


def _limit_memory(memory_mb: int) -> int | None:
    """Let the address space grow by `memory_mb` over what it is now; the limit in bytes
    (None where /proc is missing: there the time limit alone holds)."""
    size = _vm("VmSize")
    if size is None:
        return None
    limit = size + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def _vm_peak() -> int:
    return _vm("VmPeak") or 0


def _vm(key: str) -> int | None:
    """A /proc/self/status size (`VmSize`, `VmPeak`, `VmHWM`) in bytes."""
    try:
        with open("/proc/self/status") as status:
            line = next((line for line in status if line.startswith(key + ":")), None)
    except OSError:
        return None
    return int(line.split()[1]) * 1024 if line else None


_FAILED = re.compile(r"^(?P<file>.*):1:1: (load_failed: \w+ while loading|load_limit: .*)$", re.S)


def _blame_memory(problem: str, memory_mb: int) -> str:
    """A file's failure in a load that exhausted its memory, said as such."""
    match = _FAILED.match(problem)
    if match is None:
        return problem
    return f"{match['file']}:1:1: load_limit: needed more than {memory_mb} MB of memory; stopped"


if __name__ == "__main__":
    with contextlib.suppress(EOFError, OSError):  # the server went, or needed no spare
        _child(int(sys.argv[1]))
