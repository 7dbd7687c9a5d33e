"""`voicebot serve`: one worker process, or N sharing one listening socket; each drains on SIGTERM.

The parent binds the socket and, for N > 1, starts N spawned workers that accept on it (the
kernel spreads connections over them), restarts a worker that crashes, and passes SIGTERM and
SIGINT on. A worker that gets SIGTERM drains (`drain.LiveCalls`): it stops accepting on a
shared socket, answers 503 to new calls, waits for its live calls to end (at most
`drain_secs`), then exits 0. A second SIGINT stops it at once. Workers share nothing but the
call store and the Prometheus files in PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from loguru import logger

from voicebot.exceptions import VoicebotError
from voicebot.pipeline import metrics
from voicebot.server.app import AppContext, build_context, create_app
from voicebot.server.drain import LiveCalls
from voicebot.settings import Settings

GRACEFUL_SHUTDOWN_SECS = 5.0  # for HTTP requests still open once the calls have drained


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    """0 picks a free port (printed at start-up)."""
    workers: int = 1
    drain_secs: float = 300.0
    insecure_dev: bool = False
    flows_dir: Path | None = None
    db: Path | None = None
    record_fixtures: Path | None = None
    recorder: Callable[[Path], Any] | None = None
    """Makes the `--record-fixtures` recorder (voicebot.tools.replay.recorder.FixtureRecorder;
    passed in, since tools sit above the server). Module-level, so workers can unpickle it."""


class DrainingServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM drains the calls before it exits (uvicorn alone closes
    every live websocket with 1012 at once, dropping each call)."""

    def __init__(
        self,
        config: uvicorn.Config,
        calls: LiveCalls,
        drain_secs: float,
        *,
        shared_socket: bool = False,
        ready: EventType | None = None,
    ) -> None:
        super().__init__(config)
        self.calls = calls
        self.drain_secs = drain_secs
        self.shared_socket = shared_socket
        self.ready = ready
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.ready is not None:
            self.ready.set()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is None or self.should_exit:
            super().handle_exit(sig, frame)
        elif self._drain is None:
            self._loop.call_soon_threadsafe(self._begin_drain)
        elif sig == signal.SIGINT:
            logger.warning("second interrupt: stopping now; live calls are cut")
            self.should_exit = True
        # A repeated SIGTERM (sent to the parent and its process group alike) changes nothing.

    def _begin_drain(self) -> None:
        if self._drain is not None:
            return
        if self.shared_socket:
            # Sibling workers accept on the same socket: stop taking connections here.
            for server in self.servers:
                server.close()
        self._drain = asyncio.ensure_future(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        logger.info(f"SIGTERM: draining {len(self.calls)} live calls; new calls get 503")
        cut = await self.calls.drain(self.drain_secs)
        logger.info(f"drained ({cut} calls cut at the timeout); exiting")
        self.should_exit = True


def describe(ctx: AppContext, options: ServeOptions) -> list[str]:
    """What the operator should know about how this server runs."""
    lines = []
    if ctx.fixture_recorder is not None:
        lines.append(f"Recording each call as a replay scenario in {options.record_fixtures}.")
    if ctx.require_signature:
        lines.append("Twilio signatures are checked (VOICEBOT_TWILIO_AUTH_TOKEN is set).")
    else:
        how = "--insecure-dev" if options.insecure_dev else "loopback only"
        lines.append(
            "WARNING: VOICEBOT_TWILIO_AUTH_TOKEN is not set: accepting UNSIGNED Twilio "
            f"requests on {options.host} ({how})."
        )
    where = f"{options.host} ({'--insecure-dev' if options.insecure_dev else 'loopback only'})"
    if not ctx.settings.admin_token:
        lines.append(
            "WARNING: VOICEBOT_ADMIN_TOKEN is not set: /calls, /handoffs and /metrics answer "
            f"without a token on {where}."
        )
    lines.append(f"Flows: {', '.join(sorted(ctx.flows))}; default '{ctx.settings.flow}'.")
    lines.append(f"Watching {ctx.settings.flows_dir} for flow edits (new calls get them).")
    if ctx.settings.admin_token:
        lines.append("Admin dashboard: /admin (log in with the admin token).")
    else:
        lines.append("Admin dashboard off: set VOICEBOT_ADMIN_TOKEN to serve /admin.")
    return lines


def load_context(options: ServeOptions) -> AppContext:
    settings = Settings.from_env(flows_dir=options.flows_dir, db_path=options.db)
    ctx = build_context(settings, host=options.host, insecure_dev=options.insecure_dev)
    if options.record_fixtures is not None and options.recorder is not None:
        ctx.fixture_recorder = options.recorder(options.record_fixtures)
    return ctx


def _server(
    ctx: AppContext, options: ServeOptions, *, shared: bool, ready: EventType | None = None
) -> DrainingServer:
    config = uvicorn.Config(
        create_app(ctx, watch_flows=True),
        host=options.host,
        port=options.port,
        log_level="info",
        timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_SECS),
        # Twilio's media is base64 μ-law, which deflate barely shrinks: compressing 50
        # messages a second per call would only cost CPU.
        ws_per_message_deflate=False,
    )
    return DrainingServer(config, ctx.calls, options.drain_secs, shared_socket=shared, ready=ready)


def bind(options: ServeOptions) -> socket.socket:
    """The listening socket, bound once by the parent; ConfigError-style exit when taken."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as exc:
        sock.close()
        raise VoicebotError(f"cannot listen on {options.host}:{options.port}: {exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker_main(options: ServeOptions, sock: socket.socket, index: int, ready: EventType) -> None:
    """A spawned worker: load its own models and context, then serve the shared socket."""
    from voicebot import logs

    logs.configure("INFO")
    try:
        ctx = load_context(options)
    except VoicebotError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    if index == 0:
        for line in describe(ctx, options):
            print(line, flush=True)
    try:
        _server(ctx, options, shared=True, ready=ready).run(sockets=[sock])
    finally:
        ctx.close()


def serve(options: ServeOptions, echo: Callable[[str], None] = print) -> int:
    """Run until SIGTERM/SIGINT and the drain are done; the exit code. Raises VoicebotError
    (one clear line) when the server cannot start."""
    if options.workers < 1:
        raise VoicebotError(f"--workers must be at least 1, not {options.workers}")
    if options.workers == 1:
        ctx = load_context(options)  # errors here are the CLI's one line
        for line in describe(ctx, options):
            echo(line)
        sock = bind(options)
        echo(f"Listening on http://{options.host}:{sock.getsockname()[1]} (1 worker)")
        try:
            _server(ctx, options, shared=False).run(sockets=[sock])
        finally:
            ctx.close()
        return 0
    _prepare_metrics_dir()
    sock = bind(options)
    echo(f"Listening on http://{options.host}:{sock.getsockname()[1]} ({options.workers} workers)")
    return _Supervisor(options, sock).run()


def _prepare_metrics_dir() -> None:
    """Workers write their metrics to files the /metrics route adds up (prometheus_client's
    multiprocess mode); stale files from an earlier run are removed."""
    directory = os.environ.get(metrics.MULTIPROC_ENV)
    if not directory:
        directory = tempfile.mkdtemp(prefix="voicebot-metrics-")
        os.environ[metrics.MULTIPROC_ENV] = directory
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()


class _Supervisor:
    """Starts the workers, restarts one that crashes, and passes stop signals on."""

    def __init__(self, options: ServeOptions, sock: socket.socket) -> None:
        self.options = options
        self.sock = sock
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, tuple[Any, EventType]] = {}  # index -> (process, ready)
        self.stopping = False

    def _start(self, index: int) -> None:
        ready = self.context.Event()
        process = self.context.Process(
            target=_worker_main,
            args=(self.options, self.sock, index, ready),
            name=f"voicebot-worker-{index}",
        )
        process.start()
        self.workers[index] = (process, ready)

    def _stop(self, sig: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for process, _ in self.workers.values():
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, sig)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        for index in range(self.options.workers):
            self._start(index)
        code = 0
        while self.workers:
            time.sleep(0.2)
            for index, (process, ready) in list(self.workers.items()):
                if process.is_alive():
                    continue
                process.join()
                metrics.mark_process_dead(process.pid)
                del self.workers[index]
                if self.stopping:
                    continue
                if not ready.is_set():  # it never started: config or models are broken
                    logger.error(f"worker {index} failed to start (exit {process.exitcode})")
                    code = 1
                    self._stop(signal.SIGTERM, None)
                    continue
                logger.warning(f"worker {index} died (exit {process.exitcode}); restarting it")
                self._start(index)
        self.sock.close()
        return code
