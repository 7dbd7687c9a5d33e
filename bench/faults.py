"""How fast a caller whose backend fails reaches a person: each backend (flow webhook, TTS,
STT, LLM) erroring and hanging, in whole simulated calls against the real server on loopback
with a fake Twilio REST API (also loopback) receiving the transfer.

For the transfer cases it prints, from the call record's event times and the REST request's
arrival: the fault known (or its budget run out) → the transfer update sent; the caller's last
input → the update; and how long voicebot takes to serve the apology audio Twilio fetches for
`<Play>`. Twilio's own REST and media-fetch latency (not measurable here) comes on top.
An LLM fault does not transfer: the flow's own words are used, so it prints how much the
failing model delays the reply (a caller turn the grammar rejects, which asks the LLM).

    .venv/bin/python bench/faults.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from tests.nl.fake_ollama import FakeOllamaServer, Reply  # noqa: E402
from tests.transfer.failing_stages import BrokenTTS, FaultyStack, HungTTS  # noqa: E402
from tests.transfer.fake_twilio import FakeTwilio, fake_twilio  # noqa: E402
from voicebot.pipeline.stack import ConfiguredSpeechStack, EmbeddedSpeechStack  # noqa: E402
from voicebot.server.app import build_context  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.speech.models import require_models  # noqa: E402
from voicebot.tools import demo_backend  # noqa: E402
from voicebot.tools.demo import LocalServer, local_server  # noqa: E402
from voicebot.tools.simulator.caller import CallerSimulator  # noqa: E402
from voicebot.tools.simulator.scenario import Keys, Scenario, Silence, Speak  # noqa: E402
from voicebot.transfer import service  # noqa: E402
from voicebot.twilio.twiml import FAULT_APOLOGY_PATH  # noqa: E402

ACCOUNT, TOKEN = "AC" + "c" * 32, "bench-token"
DEMO = REPO / "audio_fixtures" / "demo"
FLOWS = REPO / "dialog_flows"
TO_THE_LOOKUP = Scenario(
    "to_the_lookup",
    (
        Speak(DEMO / "check_my_balance.wav"),
        Speak(DEMO / "account_number_spoken.wav"),
        Speak(DEMO / "yes.wav"),
        Keys("1234"),
    ),
)
GREETING_ONLY = Scenario("greeting", (Silence(6.0),))
ONE_TURN = Scenario("one_turn", (Speak(DEMO / "agent.wav"),))


@dataclass
class Case:
    name: str
    scenario: Scenario
    speech: Callable[[EmbeddedSpeechStack], Any]
    billing: str = "ok"  # ok | hang | refused
    fault_event: str = "backend_fault"
    budget: str = ""


CASES = [
    Case("webhook hangs", TO_THE_LOOKUP, lambda s: s, "hang", "webhook", "flow timeout 1.5 s"),
    Case("webhook refused", TO_THE_LOOKUP, lambda s: s, "refused", "webhook", "-"),
    Case("TTS errors", GREETING_ONLY, lambda s: FaultyStack(s, tts=BrokenTTS), budget="-"),
    Case(
        "TTS hangs", GREETING_ONLY, lambda s: FaultyStack(s, tts=HungTTS), budget="4 s a sentence"
    ),
    Case("STT hangs", ONE_TURN, lambda s: FaultyStack(s, hung_stt=True), budget="4 s a decode"),
]


@asynccontextmanager
async def billing(mode: str) -> AsyncIterator[None]:
    if mode == "refused":
        os.environ[demo_backend.ENV_VAR] = "http://127.0.0.1:9"  # discard port: refused
        try:
            yield
        finally:
            del os.environ[demo_backend.ENV_VAR]
        return
    with demo_backend.BillingBackend(delay_secs=30.0 if mode == "hang" else 0.0) as url:
        os.environ[demo_backend.ENV_VAR] = url
        try:
            yield
        finally:
            del os.environ[demo_backend.ENV_VAR]


async def transfer_case(case: Case, speech: EmbeddedSpeechStack, tmp: Path) -> dict[str, float]:
    async with fake_twilio(ACCOUNT, TOKEN) as twilio, billing(case.billing):
        settings = Settings(
            flows_dir=FLOWS,
            db_path=tmp / f"{time.monotonic_ns()}.db",
            twilio_auth_token=TOKEN,
            twilio_account_sid=ACCOUNT,
            twilio_api_base_url=twilio.base_url,
        )
        ctx = build_context(settings, host="127.0.0.1", speech=case.speech(speech))
        async with local_server(ctx, billing_backend=False) as server:
            started = time.time()
            sim = CallerSimulator(server.stream_url, speed=1.0, auth_token=TOKEN)
            result = await sim.run(case.scenario)
            record = await server.ended_call(result.call_sid)
            fetch = await fetch_apology_ms(server)
    return figures(case, record, twilio, started, fetch)


def figures(
    case: Case, record: dict[str, Any], twilio: FakeTwilio, started: float, fetch_ms: float
) -> dict[str, float]:
    if len(twilio.requests) != 1:
        raise SystemExit(f"{case.name}: expected one transfer update, got {len(twilio.requests)}")
    update = twilio.requests[0].at
    fault = next(e["at"] for e in record["events"] if e["kind"] == case.fault_event)
    inputs = [e["at"] for e in record["events"] if e["kind"] in ("caller_keyed", "caller_said")]
    # No caller input recorded: the TTS cases fail on the greeting (from the call's start);
    # a hung recogniser never makes the turn an event (its budget is the figure).
    last_input = inputs[-1] if inputs else (started if "TTS" in case.name else None)
    return {
        "fault_to_update": (update - fault) * 1000,
        "input_to_update": (update - last_input) * 1000 if last_input else float("nan"),
        "fetch": fetch_ms,
    }


async def fetch_apology_ms(server: LocalServer) -> float:
    async with httpx.AsyncClient() as client:
        start = time.perf_counter()
        response = await client.get(f"http://127.0.0.1:{server.port}{FAULT_APOLOGY_PATH}")
        response.raise_for_status()
        return (time.perf_counter() - start) * 1000


async def llm_turn_ms(reply: Reply | None, tmp: Path) -> tuple[float, int]:
    """Latency of an off-topic turn whisper hears but the flow cannot follow (so the LLM is
    asked), the model answering `reply` (None: no LLM configured); and the LLM requests."""
    with FakeOllamaServer() as ollama:
        if reply is not None:
            ollama.answer = lambda _body: reply
        settings = Settings(
            flows_dir=FLOWS,
            db_path=tmp / f"{time.monotonic_ns()}.db",
            stt="whisper",
            tts="espeak",
            llm="ollama" if reply is not None else "none",
            ollama_url=ollama.url,
            ollama_model="tiny:latest",
        )
        stack = ConfiguredSpeechStack(require_models(settings))
        ctx = build_context(settings, host="127.0.0.1", speech=stack)
        async with local_server(ctx) as server:
            scenario = Scenario("off_grammar", (Speak(DEMO / "out_of_grammar.wav"),))
            result = await CallerSimulator(server.stream_url, speed=1.0).run(scenario)
        asked = len(ollama.requests)
    [latency] = result.latencies_ms or [float("nan")]
    return latency, asked


def median(values: list[float]) -> str:
    values = [v for v in values if v == v]  # NaN: not measured
    return f"{statistics.median(values):7.0f}" if values else "      -"


async def main(runs: int) -> None:
    service.utc_now = lambda: service.datetime(2026, 11, 23, 12, 0, tzinfo=service.UTC)  # type: ignore[assignment]
    speech = EmbeddedSpeechStack()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"Backend faults, {runs} calls each (median ms; Twilio's own latency not included)")
        print(f"{'fault':18} {'budget':20} {'fault→update':>13} {'input→update':>13} {'wav':>5}")
        for case in CASES:
            got = [await transfer_case(case, speech, Path(tmp)) for _ in range(runs)]
            print(
                f"{case.name:18} {case.budget:20} "
                f"{median([g['fault_to_update'] for g in got]):>13} "
                f"{median([g['input_to_update'] for g in got]):>13} "
                f"{median([g['fetch'] for g in got]):>5}"
            )
        print("\nLLM faults (no transfer: the flow's words are used); whisper tiny.en hears an")
        print("off-topic turn, the LLM is asked, the reply's latency (median ms):")
        cases: list[tuple[str, Reply | None]] = [
            ("no LLM configured", None),
            ("LLM errors (HTTP 500)", Reply(status=500)),
            ("LLM hangs", Reply(content="{}", first_token_delay=30.0)),
        ]
        for name, reply in cases:
            got = [await llm_turn_ms(reply, Path(tmp)) for _ in range(runs)]
            asked = sum(n for _, n in got)
            print(f"{name:24} {median([ms for ms, _ in got])} ms   (LLM asked {asked} times)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    asyncio.run(main(args.runs))
