"""The robustness campaign (issue 16): prints counts for each part.

    python bench/robustness.py                  # 100,000 mutated frames over 25 signed calls
    python bench/robustness.py --frames 5000 --calls 5 --soak-calls 5   # a short run
    python bench/robustness.py --only-reload    # just part 3 (flows load in another process)

1. Mutated-frame fuzz over signed calls (every targeted shape mid-call and before `start`, plus
   random mutations): calls lost, tracebacks, bad frames counted.
2. Hostile flow YAML, each loaded in its own process: refused with file:line?, seconds, MB.
3. The same files dropped into a running server: rejected?, previous flows still serving?,
   the longest event-loop stall, each file's load time and the loading process's peak RSS;
   and the stall while a ~0.9 MB valid flow hot-reloads (`--big-reloads` times).
4. SIGKILL of `voicebot serve` mid-call: store intact, the call closed as `server_lost` by the
   restarted server.
5. Soak: sequential calls, threads / file descriptors / RSS sampled after each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings
from voicebot.tools import robustness
from voicebot.tools.demo import LocalServer, free_port, local_server
from voicebot.tools.simulator.caller import CallerSimulator
from voicebot.tools.simulator.scenario import HangUp, Scenario, Silence, Speak

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "dialog_flows"
AUDIO = ROOT / "audio_fixtures" / "demo"
TOKEN = "robustness-bench-token"


def copy_flows(folder: Path) -> Path:
    flows = folder / "flows"
    flows.mkdir()
    for name in ("acme_support.yaml", "card_services.yaml"):
        shutil.copy(FLOWS / name, flows)
    for sub in ("shared", "knowledge"):
        shutil.copytree(FLOWS / sub, flows / sub)
    return flows


async def fuzz_and_reload(args: argparse.Namespace, work: Path) -> None:
    flows = copy_flows(work)
    settings = Settings(
        flows_dir=flows, db_path=work / "calls.db", twilio_auth_token=TOKEN, admin_token="a"
    )
    speech = EmbeddedSpeechStack()
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    async with local_server(ctx, watch_flows=True) as server:
        await asyncio.sleep(0.3)
        if not args.only_reload:
            await fuzz(args, server)
        await reload(args, server)


async def fuzz(args: argparse.Namespace, server: LocalServer) -> None:
    per_call = max(1, args.frames // args.calls)
    start = time.perf_counter()
    counts = await robustness.fuzz_calls(server, TOKEN, args.calls, per_call)
    print(
        f"fuzz: {counts.calls} signed calls, {counts.frames} frames sent "
        f"({time.perf_counter() - start:.0f} s): {counts.lost} calls lost, "
        f"{counts.tracebacks} tracebacks, {counts.bad_frames} bad frames counted"
    )
    print("  by kind: " + ", ".join(f"{k} {n}" for k, n in counts.kinds.most_common()))
    print("  calls ended: " + ", ".join(f"{k} {n}" for k, n in counts.end_reasons.items()))


async def reload(args: argparse.Namespace, server: LocalServer) -> None:
    results = await robustness.drop_into_server(server)
    gaps = sorted(r.loop_gap_ms for r in results)
    print(
        f"hostile YAML into the running server: {sum(r.rejected for r in results)}"
        f"/{len(results)} rejected and logged, {sum(r.still_serving for r in results)}"
        f"/{len(results)} with the previous flows still serving; event-loop stall "
        f"median {gaps[len(gaps) // 2]:.0f} ms, worst {gaps[-1]:.0f} ms; saved to rejected "
        f"worst {max(r.secs for r in results):.2f} s; loading process peak RSS at most "
        f"{max(r.peak_mb for r in results):.0f} MB"
    )
    for r in results:
        flag = "" if r.rejected and r.still_serving else "   <-- NOT REJECTED"
        print(
            f"  {r.name:<22} stall {r.loop_gap_ms:4.0f} ms  saved to rejected {r.secs:5.2f} s  "
            f"file load {r.file_secs:6.3f} s  peak {r.peak_mb:4.0f} MB{flag}"
        )
    stalls = []
    for _ in range(args.big_reloads):
        stall, load = await robustness.reload_gap_ms(server)
        stalls.append(stall)
        took = (
            f"in process {load.pid}, {load.secs:.2f} s, peak {load.peak_mb:.0f} MB" if load else ""
        )
        print(f"  0.9 MB flow reloaded ({took}): event-loop stall {stalls[-1]:.0f} ms")
    print(
        f"hot reload of a 0.9 MB valid flow, {len(stalls)} times: worst event-loop stall "
        f"{max(stalls):.0f} ms"
    )


def hostile_yaml(work: Path) -> None:
    results = robustness.hostile_yaml_results(work / "hostile")
    ok = [r for r in results if r.refused_as_expected]
    print(
        f"hostile YAML: {len(ok)}/{len(results)} refused with file:line and the expected code; "
        f"worst {max(r.secs for r in results):.2f} s; loading process peak RSS at most "
        f"{max(r.peak_mb for r in results):.0f} MB (+{max(r.added_mb for r in results):.0f} MB "
        "over its imports)"
    )
    for r in results:
        flag = "" if r.refused_as_expected else "   <-- UNEXPECTED"
        print(f"  {r.name:<22} {r.secs:6.3f} s {r.peak_mb:6.0f} MB  {r.expected}{flag}")


def _serve(work: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VOICEBOT_DB_PATH": str(work / "kill.db"), "PYTHONPATH": str(ROOT)}
    env.pop("VOICEBOT_TWILIO_AUTH_TOKEN", None)
    command = [sys.executable, "-m", "voicebot", "serve", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--flows-dir", str(FLOWS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / f"serve-{port}.log").open("wb"),
    )


async def _healthy(port: int, secs: float = 60.0) -> bool:
    async with httpx.AsyncClient() as client:
        for _ in range(int(secs / 0.2)):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    return False


async def kill_mid_call(work: Path, kills: int) -> None:
    intact = closed = 0
    for _ in range(kills):
        port = free_port()
        server = _serve(work, port)
        try:
            if not await _healthy(port, 180.0):
                log = (work / f"serve-{port}.log").read_text(errors="replace").splitlines()
                print("sigkill: server did not start: " + " | ".join(log[-3:]))
                return
            scenario = Scenario("killed", (Speak(AUDIO / "check_my_balance.wav"), Silence(20.0)))
            sim = CallerSimulator(f"ws://127.0.0.1:{port}/twilio/stream", speed=1.0)
            call = asyncio.create_task(sim.run(scenario))
            await asyncio.sleep(3.0)
            server.send_signal(signal.SIGKILL)
            server.wait()
            result = await call
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        db = sqlite3.connect(work / "kill.db")
        intact += db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        port = free_port()
        restarted = _serve(work, port)  # its start-up sweep closes calls of dead processes
        try:
            await _healthy(port)
            db = sqlite3.connect(work / "kill.db")
            row = db.execute(
                "SELECT end_reason FROM calls WHERE call_sid = ?", (result.call_sid,)
            ).fetchone()
            db.close()
            closed += row is not None and row[0] == "server_lost"
        finally:
            restarted.terminate()
            restarted.wait()
    print(
        f"sigkill mid-call: {kills} kills, store intact {intact}/{kills}, "
        f"killed call closed as server_lost after restart {closed}/{kills}"
    )


async def soak(work: Path, calls: int) -> None:
    settings = Settings(flows_dir=FLOWS, db_path=work / "soak.db")
    ctx = build_context(settings, host="127.0.0.1", speech=EmbeddedSpeechStack())
    samples = []
    async with local_server(ctx) as server:
        scenario = Scenario("soak", (Speak(AUDIO / "check_my_balance.wav"), HangUp()))
        for i in range(calls):
            await CallerSimulator(server.stream_url, speed=4.0).run(scenario)
            await asyncio.sleep(0.3)
            if i == 0 or i == calls - 1:
                samples.append(robustness.sample(i + 1))
    first, last = samples[0], samples[-1]
    print(
        f"soak: {calls} calls; after call 1 vs {last.calls}: threads {first.threads} -> "
        f"{last.threads}, fds {first.fds} -> {last.fds}, RSS {first.rss_mb:.1f} -> "
        f"{last.rss_mb:.1f} MB ({last.rss_mb - first.rss_mb:+.1f})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000, help="mutated frames in all")
    parser.add_argument("--calls", type=int, default=25, help="signed fuzz calls")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs mid-call")
    parser.add_argument("--soak-calls", type=int, default=40)
    parser.add_argument("--only-fuzz", action="store_true", help="just parts 1 and 3")
    parser.add_argument("--only-kill", action="store_true", help="just part 4")
    parser.add_argument("--only-reload", action="store_true", help="just part 3")
    parser.add_argument("--big-reloads", type=int, default=3, help="reloads of the 0.9 MB flow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only_kill:
            await kill_mid_call(work, args.kills)
            return
        if args.only_reload:
            await fuzz_and_reload(args, work)
            return
        if not args.only_fuzz:
            hostile_yaml(work)
        await fuzz_and_reload(args, work)
        if not args.only_fuzz:
            await kill_mid_call(work, args.kills)
            await soak(work, args.soak_calls)


if __name__ == "__main__":
    asyncio.run(main())
