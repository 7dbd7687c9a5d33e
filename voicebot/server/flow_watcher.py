"""Hot reload of dialogue flows while the server runs.

A saved edit that loads replaces the flows new calls get (calls already running keep the
version they started with: each holds its own engine over its own flow). An edit that fails
to load is logged with every problem and changes nothing, so the previous version serves on.
Flows load in a separate process (`flows/isolated.py`) with a time and a memory limit, so no
part of a load holds the GIL of the process that carries live calls' audio, a hostile file is
stopped at a limit, and nothing a file holds can stop the watcher. Only installing the result
(unpickling the validated models, ~16 ms for a 0.9 MB flow) runs here, in a worker thread.

The objects the server started with are frozen out of the garbage collector when watching
begins: the tens of thousands of objects a large flow brings would otherwise trigger a full
collection, which walks the whole heap (~150,000 objects with the speech models, 60-70 ms)
holding the GIL, in whichever thread allocates.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles
from loguru import logger

from voicebot.flows.flow import Flow
from voicebot.flows.isolated import FlowLoader, LoadStats, load_flows_apart

if TYPE_CHECKING:
    from voicebot.server.app import AppContext

# Group the bursts editors write (temp file, rename) without exceeding the 2 s promise.
DEBOUNCE_MS = 300
# After the watch itself fails (the folder was removed, inotify ran out), try again after this.
REWATCH_SECS = 1.0


@dataclass
class FlowHealth:
    """When the serving flows loaded, and why the last rejected edit was (for the dashboard)."""

    loaded_at: float = field(default_factory=time.time)
    reloaded_at: float | None = None
    rejected: list[str] = field(default_factory=list)
    """Every problem of the last edit that failed to load; empty once an edit loads."""
    last_load: LoadStats | None = None
    """The last reload's process, time and peak memory."""


def reload_flows(
    directory: Path,
    current: dict[str, Flow],
    default: str,
    changed: Iterable[str] = (),
    health: FlowHealth | None = None,
    loader: FlowLoader | None = None,
) -> dict[str, Flow]:
    """The flows to serve after an edit: the new set if it loads (in a separate process: by
    `loader`, or a fresh one) and still has the default flow, otherwise `current`, with the
    reason logged (and kept in `health`). Blocks while the child loads; never raises."""
    health = health if health is not None else FlowHealth()
    try:
        loaded = loader.load(directory) if loader else load_flows_apart(directory)
    except Exception as exc:  # a bug of ours, not the admin's: still keep serving
        files = ", ".join(sorted(changed)) or str(directory)
        logger.opt(exception=exc).error(
            f"flow edit rejected, previous version still serving: {files}: "
            f"{type(exc).__name__} while loading"
        )
        health.rejected = [f"{files}: {type(exc).__name__} while loading"]
        return current
    health.last_load = loaded.stats
    if loaded.flows is None:
        for problem in loaded.problems:
            logger.error(f"flow edit rejected, previous version still serving: {problem}")
        health.rejected = list(loaded.problems)
        return current
    flows = loaded.flows
    if default not in flows:
        logger.error(f"flow edit rejected: the default flow '{default}' is gone from {directory}")
        health.rejected = [f"the default flow '{default}' is gone from {directory}"]
        return current
    stats = loaded.stats
    logger.info(
        f"flows reloaded: {', '.join(sorted(flows))} (loaded in process {stats.pid} in "
        f"{stats.secs:.2f} s, peak {stats.peak_mb:.0f} MB)"
    )
    health.reloaded_at, health.rejected = time.time(), []
    return flows


def freeze_startup_heap() -> None:
    """Move every object alive now out of the garbage collector's view (once per process):
    later full collections walk only what the server made since. Garbage is collected first,
    so only live objects are frozen; refcounting still frees them when they are dropped."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


async def watch_flows(ctx: AppContext, stop: asyncio.Event) -> None:
    """Reload `ctx.flows` whenever a YAML file in the flows directory changes: a flow, or a
    shared file in a sub-folder that flows `!include` (the conversation tests do not count)."""
    settings = ctx.settings
    directory = Path(settings.flows_dir)
    tests = (directory / "tests").resolve()

    def is_flow(_change: watchfiles.Change, path: str) -> bool:
        return path.endswith((".yaml", ".yml")) and not Path(path).is_relative_to(tests)

    loader = FlowLoader()
    try:
        loader.start()  # the first edit's process imports meanwhile
        freeze_startup_heap()
        while not stop.is_set():
            try:
                async for changes in watchfiles.awatch(
                    directory, watch_filter=is_flow, debounce=DEBOUNCE_MS, stop_event=stop
                ):
                    changed = [path for _change, path in changes]
                    ctx.flows = await asyncio.to_thread(
                        reload_flows,
                        directory, ctx.flows, settings.flow, changed, ctx.flow_health, loader,
                    )  # fmt: skip
            except Exception as exc:
                logger.opt(exception=exc).error(
                    f"watching {directory} for flow edits failed ({type(exc).__name__}); "
                    f"watching again in {REWATCH_SECS:.0f} s"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REWATCH_SECS)
    finally:
        await asyncio.to_thread(loader.close)
