"""Replay the whole scenario library fast (`--speed fast -j 2`), twice, and print figures.

Prints the wall time of each fast run, the speed-up over real time, and whether the two runs
gave the same verdicts. "Real time" is the sum of the calls' durations at real-time pacing:
measured by one realtime run of the library (`--baseline`, the default; -j 4 since a realtime
call mostly waits), or with `--no-baseline` estimated from the fast run's caller clock less
the processing time it stretched. Usage: python bench/replay_speed.py [--no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from voicebot import logs

LIBRARY = Path(__file__).resolve().parents[1] / "audio_fixtures" / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    logs.configure("ERROR")
    from voicebot.pipeline.stack import EmbeddedSpeechStack
    from voicebot.tools.replay.model import find_scenarios
    from voicebot.tools.replay.runner import FAST_FACTOR, RunOptions, ScenarioResult, run_all

    files = find_scenarios([LIBRARY])
    speech = EmbeddedSpeechStack()

    def run(speed: str, jobs: int) -> tuple[list[ScenarioResult], float]:
        options = RunOptions(speed=speed, jobs=jobs)  # type: ignore[arg-type]
        started = time.monotonic()
        results = asyncio.run(run_all(files, options, speech=speech))
        return results, time.monotonic() - started

    runs = []
    for attempt in (1, 2):
        results, wall = run("fast", args.jobs)
        passed = sum(r.status == "pass" for r in results)
        skipped = sum(r.status == "skip" for r in results)
        print(
            f"fast run {attempt}: {len(results)} scenarios, {passed} passed, {skipped} skipped, "
            f"{len(results) - passed - skipped} failed, wall {wall:.1f} s (-j {args.jobs})"
        )
        runs.append((results, wall))

    (first, wall1), (second, wall2) = runs
    verdicts1 = [(r.name, r.status, r.reason) for r in first]
    verdicts2 = [(r.name, r.status, r.reason) for r in second]
    differing = [a[0] for a, b in zip(verdicts1, verdicts2, strict=True) if a != b]
    print(
        f"deterministic: {'yes' if not differing else 'NO'}"
        + (f" ({differing})" if differing else "")
    )
    for results in (first,):
        for r in results:
            if r.status == "fail":
                print(f"  FAIL {r.name}: {r.reason}")

    if args.baseline:
        baseline, wall_rt = run("realtime", 4)
        real = sum(r.audio_seconds for r in baseline if r.status != "skip")
        same = [(r.name, r.status) for r in baseline] == [(r.name, r.status) for r in first]
        print(f"realtime run: {real:.0f} s of calls in {wall_rt:.0f} s wall (-j 4); "
              f"same verdicts as fast: {'yes' if same else 'NO'}")  # fmt: skip
        if not same:
            for a, b in zip(baseline, first, strict=True):
                if a.status != b.status:
                    print(f"  {a.name}: realtime {a.status} ({a.reason}) / fast {b.status}")
        basis = "measured at realtime"
    else:
        # The fast caller clock counts each turn's processing time FAST_FACTOR times over.
        stretched = sum(
            (FAST_FACTOR - 1) * max(0.0, lat / 1000 - 0.3 / FAST_FACTOR)
            for r in first
            for lat in r.latencies_ms
        )
        real = sum(r.audio_seconds for r in first if r.status != "skip") - stretched
        basis = "estimated from the fast run's caller clock"
    for n, wall in ((1, wall1), (2, wall2)):
        print(f"speed-up run {n}: {real:.0f} s of calls / {wall:.1f} s wall = {real / wall:.1f}x "
              f"real time ({basis}; target ≥ 10x)")  # fmt: skip


if __name__ == "__main__":
    main()
