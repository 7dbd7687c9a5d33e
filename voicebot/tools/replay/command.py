"""`voicebot replay`: run scenarios, show progress, print the table, write reports."""

from __future__ import annotations

import asyncio
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
    if junit:
        write_junit(results, junit)
        typer.echo(f"wrote {junit}")
    if report:
        write_report(results, report)
        typer.echo(f"wrote {report} (recordings in {out_dir})")
    return 0 if all(r.status != "fail" for r in results) else 1
