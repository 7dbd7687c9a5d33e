"""Hot reload of dialogue flows while the server runs.

A saved edit that loads replaces the flows new calls get (calls already running keep the
version they started with: each holds its own engine over its own flow). An edit that fails
to load is logged with every problem and changes nothing, so the previous version serves on.
Flows load in a worker thread, so a large or hostile file never holds up live calls' audio,
and nothing a file holds can stop the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles
from loguru import logger

from voicebot.exceptions import FlowError
from voicebot.flows.flow import Flow
from voicebot.flows.loader import load_flows

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


def reload_flows(
    directory: Path,
    current: dict[str, Flow],
    default: str,
    changed: Iterable[str] = (),
    health: FlowHealth | None = None,
) -> dict[str, Flow]:
    """The flows to serve after an edit: the new set if it loads and still has the default
    flow, otherwise `current`, with the reason logged (and kept in `health`). Never raises."""
    health = health if health is not None else FlowHealth()
    try:
        flows = load_flows(directory)
    except FlowError as error:
        for problem in error.problems:
            logger.error(f"flow edit rejected, previous version still serving: {problem}")
        health.rejected = list(error.problems)
        return current
    except Exception as exc:  # a bug of ours, not the admin's: still keep serving
        files = ", ".join(sorted(changed)) or str(directory)
        logger.opt(exception=exc).error(
            f"flow edit rejected, previous version still serving: {files}: "
            f"{type(exc).__name__} while loading"
        )
        health.rejected = [f"{files}: {type(exc).__name__} while loading"]
        return current
    if default not in flows:
        logger.error(f"flow edit rejected: the default flow '{default}' is gone from {directory}")
        health.rejected = [f"the default flow '{default}' is gone from {directory}"]
        return current
    logger.info(f"flows reloaded: {', '.join(sorted(flows))}")
    health.reloaded_at, health.rejected = time.time(), []
    return flows


async def watch_flows(ctx: AppContext, stop: asyncio.Event) -> None:
    """Reload `ctx.flows` whenever a YAML file in the flows directory changes: a flow, or a
    shared file in a sub-folder that flows `!include` (the conversation tests do not count)."""
    settings = ctx.settings
    directory = Path(settings.flows_dir)
    tests = (directory / "tests").resolve()

    def is_flow(_change: watchfiles.Change, path: str) -> bool:
        return path.endswith((".yaml", ".yml")) and not Path(path).is_relative_to(tests)

    while not stop.is_set():
        try:
            async for changes in watchfiles.awatch(
                directory, watch_filter=is_flow, debounce=DEBOUNCE_MS, stop_event=stop
            ):
                changed = [path for _change, path in changes]
                ctx.flows = await asyncio.to_thread(
                    reload_flows, directory, ctx.flows, settings.flow, changed, ctx.flow_health
                )
        except Exception as exc:
            logger.opt(exception=exc).error(
                f"watching {directory} for flow edits failed ({type(exc).__name__}); "
                f"watching again in {REWATCH_SECS:.0f} s"
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REWATCH_SECS)
