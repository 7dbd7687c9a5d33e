"""Call store cost per backend: one event write (what a call pays on its event loop), reading
back a 50-event call, and events per second with 1 and 4 processes writing at once.

    python bench/store_writes.py                       # SQLite, and PostgreSQL if its
                                                       # binaries are installed (own server)
    python bench/store_writes.py --database-url postgresql://…   # an existing PostgreSQL
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voicebot.storage import open_store  # noqa: E402

WRITER = """
import sys, time
from voicebot.storage import open_store
store = open_store(sys.argv[1], "unused.db")
sid = sys.argv[2]
store.start_call(sid, "MZ", "bench", None)
time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # all writers start together
started = time.time()
for n in range(int(sys.argv[3])):
    store.add_event(sid, "turn", n=n, text="a short caller turn", confidence=0.9)
print(started, time.time())
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(url: str, events: int) -> str:
    store = open_store(url, "unused.db")
    store.start_call("CAbench", "MZ", "bench", None)
    writes = []
    for n in range(events):
        started = time.perf_counter()
        store.add_event("CAbench", "turn", n=n, text="a short caller turn", confidence=0.9)
        writes.append((time.perf_counter() - started) * 1000)
    store.start_call("CAread", "MZ", "bench", None)
    for n in range(50):
        store.add_event("CAread", "turn", n=n)
    reads = []
    for _ in range(200):
        started = time.perf_counter()
        store.get_call("CAread")
        reads.append((time.perf_counter() - started) * 1000)
    rates = []
    for processes in (1, 4):
        per = events // processes
        go = str(time.time() + 3.0)  # after every interpreter has started
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, url, f"CA{processes}x{i}", str(per), go],
                env={"PYTHONPATH": str(REPO)},
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for i in range(processes)
        ]
        spans = [tuple(map(float, w.communicate()[0].split())) for w in writers]
        assert all(w.returncode == 0 for w in writers)
        rates.append(per * processes / (max(e for _, e in spans) - min(s for s, _ in spans)))
    return (
        f"event write p50 {statistics.median(writes):.2f} ms p95 {percentile(writes, 0.95):.2f} ms;"
        f" read 50-event call p50 {statistics.median(reads):.2f} ms;"
        f" events/s 1 process {rates[0]:.0f}, 4 processes at once {rates[1]:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="an existing PostgreSQL to measure")
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"sqlite:     {measure(f'sqlite:///{folder}/calls.db', args.events)}")
    if args.database_url:
        print(f"postgresql: {measure(args.database_url, args.events)}")
        return
    from tests.postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped (no server binaries; apt-get install postgresql)")
        return
    server = PostgresServer(bin_dir, durable=True)
    try:
        print(f"postgresql: {measure(server.database(), args.events)} (local server)")
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
