"""`voicebot replay`: run scenarios, show progress, print the table, write reports."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Literal

import typer

from voicebot.exceptions import ConfigError
from voicebot.tools.replay.model import find_scenarios
from voicebot.tools.replay.report import print_table, totals, write_junit, write_report
from voicebot.tools.replay.runner import RunOptions, ScenarioResult, run_all

DEFAULT_LIBRARY = Path("audio_fixtures/scenarios")


def replay(
    paths: list[Path],
    *,
    url: str | None,
    auth_token: str | None,
    admin_token: str | None,
    speed: Literal["realtime", "fast"],
    jobs: int,
    junit: Path | None,
    report: Path | None,
    out_dir: Path | None,
    reply_timeout: float,
) -> int:
    """Exit code 0 only if every scenario that ran passed (skips do not fail the run)."""
    missing = [p for p in paths or [DEFAULT_LIBRARY] if not p.exists()]
    if missing:
        raise UsageError(f"no such scenario file or folder: {missing[0]}")
    for given, name in ((junit, "--junit"), (report, "--report")):
        if given is not None:
            _check_writable(given, name)
    files = find_scenarios(paths or [DEFAULT_LIBRARY])
    if not files:
        raise ConfigError(f"no scenario files in {', '.join(map(str, paths or [DEFAULT_LIBRARY]))}")
    if url and not url.startswith(("ws://", "wss://")):
        raise ConfigError(f"--url must be a ws:// or wss:// stream URL, not {url!r}")
    if out_dir is None and report is not None:
        out_dir = report.parent / (report.stem + "_audio")
    options = RunOptions(
        url=url,
        auth_token=auth_token,
        admin_token=admin_token,
        speed=speed,
        jobs=jobs,
        reply_timeout=reply_timeout,
        out_dir=out_dir,
    )
    done = 0

    def progress(result: ScenarioResult) -> None:
        nonlocal done
        done += 1
        colour = {"pass": "green", "fail": "red", "skip": "yellow"}[result.status]
        verdict = typer.style(result.status.upper(), fg=colour, bold=True)
        typer.echo(
            f"[{done}/{len(files)}] {verdict} {result.name} ({result.wall_seconds:.1f} s)"
            + (f": {result.reason}" if result.status != "pass" else "")
        )

    target = url or "an in-process server"
    typer.echo(f"Replaying {len(files)} scenario(s) against {target} at {speed} speed, -j {jobs}")
    started = time.monotonic()
    results = asyncio.run(run_all(files, options, on_result=progress))
    wall = time.monotonic() - started
    typer.echo("")
    print_table(results)
    typer.echo(totals(results))
    call_time = sum(r.audio_seconds for r in results)
    if call_time:
        # In fast mode the caller's clock also counts the bot's thinking time 10x over, so
        # this is not the speed-up over real time: bench/replay_speed.py measures that.
        typer.echo(f"wall time {wall:.1f} s ({call_time:.0f} s on the calls' audio clocks)")
    try:
        if junit:
            write_junit(results, junit)
            typer.echo(f"wrote {junit}")
        if report:
            write_report(results, report)
            typer.echo(f"wrote {report} (recordings in {out_dir})")
    except OSError as exc:
        raise ConfigError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    return 0 if all(r.status != "fail" for r in results) else 1


class UsageError(ConfigError):
    """The command line names something that is not there: exit code 2, as for bad options."""


def _check_writable(path: Path, option: str) -> None:
    """Refuse before the run, not after it: a report path that cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder, not a file")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write there ({existing} is not writable)")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path}: the file is not writable")
