"""`voicebot demo`: a whole simulated phone call against an in-process server, printed live.

The caller simulator speaks the real Media Streams protocol over a loopback websocket, so the
demo exercises exactly what a Twilio call would: VAD, grammar recognition, the flow, espeak-ng.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import uvicorn

from voicebot.server.after_stream import after_stream_twiml
from voicebot.server.app import AppContext, build_context, create_app
from voicebot.settings import Settings
from voicebot.tools import demo_backend
from voicebot.tools.simulator.caller import CallerSimulator, CallResult, TurnResult
from voicebot.tools.simulator.scenario import Keys, Scenario, Speak


def demo_scenario(fixtures: Path) -> Scenario:
    """Balance enquiry: menu choice spoken, account number spoken and confirmed, PIN keyed."""
    return Scenario(
        name="balance_enquiry",
        turns=(
            Speak(fixtures / "check_my_balance.wav"),
            Speak(fixtures / "account_number_spoken.wav"),
            Speak(fixtures / "yes.wav"),
            Keys("1234"),
            Speak(fixtures / "no.wav"),
        ),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    ctx: AppContext
    port: int

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/twilio/stream"

    async def ended_call(self, call_sid: str, secs: float = 10.0) -> dict[str, Any]:
        """The call's record once the server has written its end reason: the caller's
        side of the socket can close before the server finishes the call."""
        for _ in range(int(secs / 0.05)):
            record = self.ctx.store.get_call(call_sid)
            if record and record["end_reason"]:
                return record
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"call {call_sid} has no end reason: {self.ctx.store.get_call(call_sid)}"
        )


@asynccontextmanager
async def local_server(
    ctx: AppContext, *, watch_flows: bool = False, billing_backend: bool = True
) -> AsyncIterator[LocalServer]:
    """Serve `ctx` on a free loopback port for the duration of the block; with
    `billing_backend`, also the stand-in billing system the example flow's webhooks call
    (unless ACME_BILLING_URL already points somewhere)."""
    if billing_backend and not os.environ.get(demo_backend.ENV_VAR):
        with demo_backend.BillingBackend() as url:
            os.environ[demo_backend.ENV_VAR] = url
            try:
                async with local_server(ctx, watch_flows=watch_flows, billing_backend=False) as s:
                    yield s
            finally:
                del os.environ[demo_backend.ENV_VAR]
        return
    port = free_port()
    app = create_app(ctx, watch_flows=watch_flows)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LocalServer(ctx, port)
    finally:
        server.should_exit = True
        await task


class Printer:
    """Prints the call as it happens from the call record, one new event at a time."""

    def __init__(self, ctx: AppContext, call_sid: str) -> None:
        self.ctx = ctx
        self.call_sid = call_sid
        self.seen = 0

    def flush(self, latency: float | None = None) -> None:
        record = self.ctx.store.get_call(self.call_sid)
        if record is None:
            return
        for event in record["events"][self.seen :]:
            line = describe(event)
            if line:
                typer.echo(line)
        self.seen = len(record["events"])
        if latency is not None:
            typer.echo(
                typer.style(
                    f"         (bot answered {latency:.0f} ms after the caller finished)", dim=True
                )
            )


def describe(event: dict[str, Any]) -> str | None:
    kind = event["kind"]
    if kind == "bot_said":
        return f"  bot    │ {event['text']}"
    if kind == "caller_said":
        said = event["transcript"] or "(not understood)"
        meaning = f"slot {event['slot']}" if event.get("slot") else f"intent {event['intent']}"
        return (
            f'  caller │ "{said}"  [node {event["node"]} → {event["next_node"]}, '
            f"{meaning}, confidence {event['confidence']:.2f}]"
        )
    if kind == "caller_keyed":
        return f"  caller │ keypad {event['digit']}  [node {event['node']} → {event['next_node']}]"
    if kind == "caller_silent":
        return f"  caller │ (silence)  [node {event['node']} → {event['next_node']}]"
    if kind == "transfer":
        return f"  ────── │ transferred to queue '{event['queue']}' ({event['reason']})"
    if kind == "barge_in":
        return f"  ────── │ caller barged in ({event['by']})"
    if kind == "handoff":
        vip = ", VIP" if event["vip"] else ""
        queue, priority = event["queue"], event["priority"]
        return f"  ────── │ handoff {event['id'][:8]}: queue '{queue}', priority {priority}{vip}"
    if kind == "transfer_via":
        how = (
            "Twilio REST call update" if event["method"] == "rest" else "/twilio/after-stream TwiML"
        )
        return f"  ────── │ call moved by {how}"
    return None


async def run_demo(settings: Settings, fixtures: Path, speed: float, wav_out: Path) -> bool:
    ctx = build_context(settings, host="127.0.0.1")
    scenario = demo_scenario(fixtures)
    async with local_server(ctx) as server:
        call_sid = "CAdemo" + str(server.port)
        printer = Printer(ctx, call_sid)

        def on_event(kind: str, turn: TurnResult) -> None:
            if kind == "reply":
                printer.flush(turn.latency_ms)

        typer.echo(f"Calling the bot on {server.stream_url} (flow '{settings.flow}') …\n")
        simulator = CallerSimulator(server.stream_url, speed=speed, on_event=on_event)
        result = await simulator.run(scenario, call_sid=call_sid)
        await asyncio.sleep(0.3)  # let the server write the call's end
        printer.flush()
        record = ctx.store.get_call(call_sid) or {}
        transferred = await transfer_call(ctx, server, fixtures, speed)
    result.write_wav(str(wav_out))
    return summarise(result, record, wav_out) and transferred


async def transfer_call(ctx: AppContext, server: LocalServer, fixtures: Path, speed: float) -> bool:
    """A second, short call: the caller asks for a person. Shows the transfer, the handoff
    packet an agent would read, and the TwiML Twilio is given to queue the caller."""
    call_sid = "CAdemoagent" + str(server.port)
    typer.echo("\nSecond call: the caller asks for a person …\n")
    printer = Printer(ctx, call_sid)
    simulator = CallerSimulator(
        server.stream_url,
        speed=speed,
        on_event=lambda kind, turn: printer.flush() if kind == "reply" else None,
    )
    result = await simulator.run(Scenario("agent", (Speak(fixtures / "agent.wav"),)), call_sid)
    await asyncio.sleep(0.3)
    printer.flush()
    handoff = ctx.store.call_handoff(call_sid)
    if handoff is None:
        typer.echo(typer.style("  no transfer happened", fg="red"))
        return False
    packet = handoff["packet"]
    typer.echo("\nHandoff packet (GET /handoffs/" + packet["id"] + ")")
    typer.echo(f"  queue            {packet['queue']} (priority {packet['priority']})")
    typer.echo(f"  reason           {packet['reason']}")
    typer.echo(f"  caller           {packet['caller']}")
    typer.echo(f"  summary          {packet['summary']}")
    base = f"http://127.0.0.1:{server.port}"
    twiml = await after_stream_twiml(
        ctx.store, ctx.flows, ctx.settings, call_sid, base, versions=ctx.flow_versions
    )
    typer.echo(f"  TwiML to Twilio  {twiml.split('?>', 1)[-1]}")
    return result.error is None and handoff["packet"]["reason"] == "caller_asked_for_agent"


def summarise(result: CallResult, record: dict[str, Any], wav_out: Path) -> bool:
    latencies = result.latencies_ms
    end_reason = record.get("end_reason")
    ok = result.error is None and end_reason == "completed"
    typer.echo("\nSummary")
    typer.echo(f"  turns            {len(result.turns)}")
    if latencies:
        typer.echo(
            f"  response latency median {statistics.median(latencies):.0f} ms, "
            f"max {max(latencies):.0f} ms (last caller audio → first bot audio)"
        )
    typer.echo(f"  call ended       {end_reason} (by {result.ended_by or 'nobody'})")
    if result.error:
        typer.echo(f"  problem          {result.error}")
    typer.echo(f"  recording        {wav_out} (caller left, bot right)")
    typer.echo(typer.style("  PASS" if ok else "  FAIL", fg="green" if ok else "red", bold=True))
    return ok


def main(speed: float, wav_out: Path, fixtures: Path, settings: Settings) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.model_copy(update={"db_path": Path(tmp) / "demo.db"})
        ok = asyncio.run(run_demo(settings, fixtures, speed, wav_out))
    return 0 if ok else 1
