"""Response latency of the demo call at real-time pacing, with the server's CPU and memory.

Starts `voicebot serve` in its own process on a free loopback port, places the demo call N
times through the caller simulator, and prints per-turn and overall p50/p95 of the response
latency (last caller audio sent → first bot audio received), the server's CPU seconds per
minute of call, and its peak RSS. Linux only (reads /proc). A script, not a test: the figures
depend on the machine and what else it is doing.

    python bench/latency.py [--calls 5] [--speed 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voicebot.tools.demo import demo_scenario, free_port
from voicebot.tools.demo_backend import ENV_VAR, BillingBackend
from voicebot.tools.simulator.caller import CallerSimulator, CallResult
from voicebot.tools.simulator.scenario import BargeIn, Scenario

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def run(calls: int, speed: float) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, BillingBackend() as billing_url:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voicebot",
                "serve",
                "--port",
                str(port),
                "--db",
                str(Path(tmp) / "bench.db"),
                "--flows-dir",
                str(REPO / "dialog_flows"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, ENV_VAR: billing_url},
        )
        try:
            await wait_until_up(port, server)
            cpu_start = cpu_seconds(server.pid)
            url = f"ws://127.0.0.1:{port}/twilio/stream"
            results: list[CallResult] = []
            wall = 0.0
            for n in range(calls):
                started = time.monotonic()
                result = await CallerSimulator(url, speed=speed).run(
                    demo_scenario(REPO / "audio_fixtures/demo")
                )
                wall += time.monotonic() - started
                status = "ok" if result.error is None else result.error
                print(f"call {n + 1}/{calls}: {len(result.turns)} turns, {status}", flush=True)
                results.append(result)
            cpu = cpu_seconds(server.pid) - cpu_start
            rss = peak_rss_mb(server.pid)
            barge_ins: list[float] = []
            for _ in range(calls):
                barge = Scenario(
                    "barge_in", (BargeIn(REPO / "audio_fixtures/demo/agent.wav", after_ms=1000),)
                )
                result = await CallerSimulator(url, speed=speed).run(barge)
                if result.turns and result.turns[0].barge_in_ms is not None:
                    barge_ins.append(result.turns[0].barge_in_ms)
        finally:
            server.terminate()
            server.wait(timeout=10)

    audio_minutes = sum(len(r.caller_audio) for r in results) * 0.02 / 60
    by_turn: dict[str, list[float]] = {}
    for result in results:
        for turn in result.turns:
            if turn.latency_ms is not None:
                by_turn.setdefault(f"{turn.index + 1}. {turn.label}", []).append(turn.latency_ms)
    overall = [v for values in by_turn.values() for v in values]

    print(f"\nResponse latency, {calls} calls at speed {speed:g} (ms, caller's side of the socket)")
    print(f"{'turn':<32}{'n':>4}{'p50':>8}{'p95':>8}")
    rows = [*by_turn.items(), *([("overall", overall)] if overall else [])]
    for label, values in rows:
        p50, p95 = statistics.median(values), percentile(values, 95)
        print(f"{label:<32}{len(values):>4}{p50:>8.0f}{p95:>8.0f}")
    print(
        f"\nserver CPU: {cpu:.1f} s over {audio_minutes:.2f} call-minutes = "
        f"{cpu / audio_minutes:.2f} CPU s per call minute"
    )
    print(f"server peak RSS: {rss:.0f} MB; wall time {wall:.1f} s")
    if barge_ins:
        print(
            f"barge-in by one short word, 'agent' (caller speech starts -> `clear` received), "
            f"{len(barge_ins)} calls: p50 {statistics.median(barge_ins):.0f} ms, "
            f"max {max(barge_ins):.0f} ms (a short word stops the bot once it is decoded, so a "
            "'mhmm' or a cough does not: docs/turn_taking.md)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5, help="how many demo calls (default 5)")
    parser.add_argument("--speed", type=float, default=1.0, help="caller pace (1 = real time)")
    args = parser.parse_args()
    if args.calls < 1 or args.speed <= 0:
        parser.error("--calls must be ≥ 1 and --speed > 0")
    asyncio.run(run(args.calls, args.speed))


if __name__ == "__main__":
    main()
