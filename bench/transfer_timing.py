"""How long a transfer takes, measured in whole simulated calls against a fake Twilio REST API
on loopback: routing + handoff (`prepare`, while the transfer words start), and the REST
update, which starts when the words have played: without a hold message it is the caller's
silence before the queue (a "please hold" fills it after 1 s).

    .venv/bin/python bench/transfer_timing.py [--calls 5] [--api-delay 0.0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.transfer.fake_twilio import fake_twilio  # noqa: E402
from voicebot.server.app import build_context  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.tools.demo import local_server  # noqa: E402
from voicebot.tools.simulator.caller import CallerSimulator  # noqa: E402
from voicebot.tools.simulator.scenario import Keys, Scenario  # noqa: E402
from voicebot.transfer.service import CallTransfers  # noqa: E402
from voicebot.twilio.rest import TwilioCallUpdater, UpdateResult  # noqa: E402

ACCOUNT, TOKEN = "AC" + "b" * 32, "bench-token"


async def run(calls: int, api_delay: float) -> None:
    original = CallTransfers.prepare
    prepare_ms: list[float] = []

    def timed(self: CallTransfers, transfer: object) -> object:
        start = time.perf_counter()
        try:
            return original(self, transfer)  # type: ignore[arg-type]
        finally:
            prepare_ms.append((time.perf_counter() - start) * 1000)

    CallTransfers.prepare = timed  # type: ignore[method-assign,assignment]
    update = TwilioCallUpdater.update
    gaps: list[float] = []

    async def timed_update(self: TwilioCallUpdater, call_sid: str, twiml: str) -> UpdateResult:
        start = time.perf_counter()
        try:
            return await update(self, call_sid, twiml)
        finally:
            gaps.append((time.perf_counter() - start) * 1000)

    TwilioCallUpdater.update = timed_update  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        async with fake_twilio(ACCOUNT, TOKEN) as twilio:
            twilio.delay = api_delay
            settings = Settings(
                flows_dir=REPO / "dialog_flows",
                db_path=Path(tmp) / "calls.db",
                twilio_account_sid=ACCOUNT,
                twilio_auth_token=TOKEN,
                twilio_api_base_url=twilio.base_url,
            )
            ctx = build_context(settings, host="127.0.0.1")
            async with local_server(ctx) as server:
                for _ in range(calls):
                    sim = CallerSimulator(server.stream_url, speed=1.0, auth_token=TOKEN)
                    result = await sim.run(Scenario("agent", (Keys("0"),)))
                    await asyncio.sleep(0.3)
                    assert ctx.store.call_handoff(result.call_sid) is not None
    print(f"calls                         {calls} (fake Twilio delay {api_delay:.2f} s)")
    print(
        f"routing + handoff (prepare)   median {statistics.median(prepare_ms):.2f} ms, "
        f"max {max(prepare_ms):.2f} ms"
    )
    print(
        f"REST update (words → moved)   median {statistics.median(gaps):.0f} ms, "
        f"max {max(gaps):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--api-delay", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.api_delay))


if __name__ == "__main__":
    main()
