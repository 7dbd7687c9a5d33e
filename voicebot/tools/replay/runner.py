"""Run scenarios against a server and judge them: in-process by default, or `--url`.

Speeds. `realtime` paces the caller's audio at 1x, as a phone would. `fast` runs the caller's
audio clock FAST_FACTOR times faster than real time. Against the in-process server, fast mode
also runs the server's wall-clock parts at the same factor (the bot's audio playout and each
node's no-input timer), so a call plays out exactly as it would in real time, only compressed:
a "silence of 8 s" is 8 s of the caller's audio clock, and the bot's 6 s no-input timer fires
inside it just as it would on a phone. Against a deployed server (`--url`) only the caller
speeds up; the server's timers stay real, so silence turns last their real length there.
Response latency is measured in wall time on the caller's side; in fast mode it is compressed
too (the VAD's end-of-turn wait is audio time), so latency limits are checked only at
realtime speed and fast runs report the figure for information.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from voicebot.exceptions import AudioFileError, VoicebotError
from voicebot.tools.replay import audio
from voicebot.tools.replay.expect import align, check_call, check_turn, word_error_rate
from voicebot.tools.replay.model import LoadedScenario, ScenarioError, Turn, load_scenario
from voicebot.tools.simulator import scenario as sim

FAST_FACTOR = 10.0
Status = Literal["pass", "fail", "skip"]


@dataclass
class TurnReport:
    index: int
    kind: str
    label: str
    latency_ms: float | None = None
    transcript: str | None = None
    node: str | None = None
    bot_said: str = ""
    wer: float | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ScenarioResult:
    name: str
    path: Path
    status: Status
    problems: list[str] = field(default_factory=list)
    turns: list[TurnReport] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    recording: Path | None = None
    call_sid: str | None = None

    @property
    def reason(self) -> str:
        return self.problems[0] if self.problems else ""

    @property
    def wer(self) -> float | None:
        values = [t.wer for t in self.turns if t.wer is not None]
        return sum(values) / len(values) if values else None


@dataclass
class RunOptions:
    url: str | None = None
    auth_token: str | None = None
    admin_token: str | None = None
    speed: Literal["realtime", "fast"] = "fast"
    jobs: int = 1
    reply_timeout: float = 10.0
    out_dir: Path | None = None
    """Where each call's stereo recording goes (caller left, bot right); None: not saved."""
    record_fixtures: Path | None = None
    """In-process only: the server also saves each call as a capture scenario here."""

    @property
    def factor(self) -> float:
        return FAST_FACTOR if self.speed == "fast" else 1.0


# -- scenario → simulator script ---------------------------------------------------------------


def _speech(turn: Turn, base: Path) -> tuple[Path | None, tuple[bytes, ...]]:
    if turn.say is not None:
        frames = audio.synth_frames(turn.say, turn.voice, turn.rate, turn.noise)
        return None, tuple(frames)
    path = audio.resolve(turn.audio or "", base)
    return path, tuple(audio.load_frames(path))


def to_simulator(loaded: LoadedScenario, silence_scale: float = 1.0) -> sim.Scenario:
    """The caller's script; raises AudioFileError / MissingRealSpeech / ScenarioError.

    `silence_scale` stretches silences on the caller's clock: a fast replay against a server
    whose timers run in real time must stay silent for the real number of seconds.
    """
    base = loaded.path.parent
    turns: list[sim.Turn] = []
    for index, turn in enumerate(loaded.scenario.turns, 1):
        label = turn.say or turn.audio or turn.keys or ""
        kind = turn.kind
        if kind in ("speak", "barge_in"):
            path, frames = _speech(turn, base)
            if kind == "barge_in":
                turns.append(sim.BargeIn(path, turn.barge_in_ms or 0, label, frames))
            else:
                turns.append(sim.Speak(path, label, frames))
        elif kind == "keys":
            turns.append(sim.Keys(turn.keys or ""))
        elif kind == "silence":
            turns.append(sim.Silence((turn.silence or 0.0) * silence_scale))
        elif kind == "hang_up":
            said = _speech(turn, base)[1] if turn.audio or turn.say else None
            turns.append(sim.HangUp(None, turn.after_ms, said))
        else:
            raise ScenarioError(f"turn {index}: capture turns are replayed by `capture` mode")
    scenario = loaded.scenario
    parameters = dict(scenario.caller.parameters)
    parameters.setdefault("flow", scenario.flow)
    return sim.Scenario(
        name=loaded.name,
        turns=tuple(turns),
        caller=scenario.caller.number,
        parameters=parameters,
    )


# -- the in-process server ---------------------------------------------------------------------


@contextlib.contextmanager
def _fast_playout(factor: float) -> Iterator[None]:
    """Make pipecat's websocket output play the bot's audio `factor` times faster.

    pipecat paces websocket audio at 2x real time to emulate a sound card; an in-process
    fast replay needs the bot's side compressed like the caller's. Scoped to the replay's
    own process and undone on exit.
    """
    from pipecat.transports.websocket.fastapi import FastAPIWebsocketOutputTransport as Out

    original = Out.setup

    async def setup(self: Any, setup_arg: Any) -> None:
        await original(self, setup_arg)
        self._send_interval /= factor

    Out.setup = setup  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Out.setup = original  # type: ignore[method-assign]


def _scaled_flows(flows: dict[str, Any], factor: float) -> dict[str, Any]:
    """Copies of the flows with every node's no-input timer divided by `factor`."""
    scaled = {}
    for name, flow in flows.items():
        nodes = {
            key: node.model_copy(update={"no_input_timeout": node.no_input_timeout / factor})
            for key, node in flow.nodes.items()
        }
        scaled[name] = flow.model_copy(update={"nodes": nodes})
    return scaled


@contextlib.asynccontextmanager
async def in_process_server(
    factor: float, db_path: Path, speech: Any = None, record_fixtures: Path | None = None
) -> AsyncIterator[Any]:
    from voicebot.server.app import build_context
    from voicebot.settings import Settings
    from voicebot.tools.demo import local_server

    settings = Settings.from_env(db_path=db_path)
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    if factor != 1.0:
        ctx.flows = _scaled_flows(ctx.flows, factor)
    if record_fixtures is not None:
        from voicebot.tools.replay.recorder import FixtureRecorder

        ctx.fixture_recorder = FixtureRecorder(record_fixtures, time_scale=factor)
    with _fast_playout(factor) if factor != 1.0 else contextlib.nullcontext():
        async with local_server(ctx) as server:
            yield server


# -- fetching the call record ------------------------------------------------------------------


def http_base(ws_url: str) -> str:
    scheme, _, rest = ws_url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{'https' if scheme == 'wss' else 'http'}://{host}"


async def fetch_record(
    call_sid: str,
    *,
    store: Any = None,
    url: str | None = None,
    admin_token: str | None = None,
    attempts: int = 60,
    timeout: float = 5.0,
) -> dict[str, Any] | None:
    """The call record once the server has written the call's end (None if it never does)."""
    record = None
    for _ in range(attempts):
        if store is not None:
            record = store.get_call(call_sid)
        else:
            import httpx

            headers = {"authorization": f"Bearer {admin_token}"} if admin_token else {}
            try:
                async with httpx.AsyncClient(timeout=timeout) as client:
                    response = await client.get(
                        f"{http_base(url or '')}/calls/{call_sid}", headers=headers
                    )
            except httpx.HTTPError:
                return None
            record = response.json() if response.status_code == 200 else None
            if response.status_code in (401, 403):
                raise VoicebotError("the server refused GET /calls (set --admin-token)")
        if record and record.get("end_reason"):
            return record
        await asyncio.sleep(0.1)
    return record


# -- running -----------------------------------------------------------------------------------


def _label(turn: Turn) -> str:
    if turn.silence is not None:
        return f"{turn.silence:g} s"
    return turn.say or turn.audio or turn.keys or turn.capture or ""


def judge(
    loaded: LoadedScenario, record: dict[str, Any], call: Any, realtime: bool
) -> tuple[list[str], list[TurnReport]]:
    scenario = loaded.scenario
    greeting, observed = align(scenario.turns, record.get("events", []))
    problems: list[str] = []
    if record.get("flow") != scenario.flow:  # the server falls back to its default flow
        problems.append(
            f"flow: the scenario names flow '{scenario.flow}', the server has no such flow "
            f"and ran '{record.get('flow')}'"
        )
    if scenario.greeting is not None:
        problems += [f"greeting: {p}" for p in check_turn(scenario.greeting, greeting)]
    reports: list[TurnReport] = []
    for index, (turn, seen) in enumerate(zip(scenario.turns, observed, strict=True)):
        sim_turn = call.turns[index] if index < len(call.turns) else None
        report = TurnReport(
            index=index + 1,
            kind=turn.kind,
            label=_label(turn),
            latency_ms=sim_turn.latency_ms if sim_turn else None,
            transcript=seen.transcript,
            node=seen.node,
            bot_said=seen.bot_text,
        )
        if turn.expect is not None:
            if turn.expect.transcript is not None and seen.transcript is not None:
                report.wer = word_error_rate(turn.expect.transcript, seen.transcript)
            report.problems = check_turn(turn.expect, seen)
            problems += [f"turn {index + 1} ({turn.kind}) {p}" for p in report.problems]
        reports.append(report)
    problems += check_call(scenario.expect, record, call.latencies_ms, realtime)
    return problems, reports


async def run_one(
    path: Path,
    options: RunOptions,
    stream_url: str,
    store: Any = None,
) -> ScenarioResult:
    from voicebot.tools.simulator.caller import CallerSimulator
    from voicebot.tools.simulator.capture import read_capture, replay_capture

    started = time.monotonic()
    name = path.stem
    capture: list[dict[str, Any]] | None = None
    try:
        loaded = load_scenario(path)
        name = loaded.name
        turns = loaded.scenario.turns
        if any(t.capture is not None for t in turns):
            if len(turns) != 1:
                raise ScenarioError(f"{path}: a capture turn is the scenario's only turn")
            capture = read_capture(path.parent / (turns[0].capture or ""))
        else:
            script = to_simulator(loaded, options.factor if options.url else 1.0)
    except audio.MissingRealSpeech as exc:
        return ScenarioResult(name, path, "skip", [f"skipped: {exc}"])
    except (VoicebotError, OSError, ValueError) as exc:
        return ScenarioResult(name, path, "fail", [str(exc)])
    call_sid = "CAreplay" + uuid.uuid4().hex[:24]
    if capture is not None:
        parameters = {**loaded.scenario.caller.parameters, "flow": loaded.scenario.flow}
        call = await replay_capture(
            stream_url,
            capture,
            call_sid=call_sid,
            caller=loaded.scenario.caller.number,
            parameters=parameters,
            speed=options.factor,
            auth_token=options.auth_token,
            reply_timeout=options.reply_timeout,
            masked_keys=turns[0].masked_keys or "",
        )
    else:
        simulator = CallerSimulator(
            stream_url,
            auth_token=options.auth_token,
            speed=options.factor,
            reply_timeout=options.reply_timeout,
        )
        call = await simulator.run(script, call_sid=call_sid)
    result = ScenarioResult(name, path, "fail", call_sid=call_sid)
    result.latencies_ms = call.latencies_ms
    result.audio_seconds = len(call.caller_audio) * 0.02
    if options.out_dir is not None and call.caller_audio:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        result.recording = options.out_dir / f"{name}.wav"
        call.write_wav(str(result.recording))
    if call.error:
        result.problems.append(f"call: {call.error}")
    try:
        # A call that broke may never get an end reason: look once rather than wait for it.
        record = await fetch_record(
            call_sid,
            store=store,
            url=options.url,
            admin_token=options.admin_token,
            # The call is over on the caller's side; give the server the reply timeout to write
            # its end (a loaded machine takes a while to tear a pipeline down).
            attempts=1 if call.error else max(60, int(options.reply_timeout * 10)),
            timeout=min(5.0, options.reply_timeout),
        )
    except VoicebotError as exc:
        record = None
        result.problems.append(str(exc))
    if record is None:
        if not call.error:
            result.problems.append("the server has no record of this call")
    else:
        problems, result.turns = judge(loaded, record, call, options.speed == "realtime")
        result.problems += problems
    result.status = "fail" if result.problems else "pass"
    result.wall_seconds = time.monotonic() - started
    return result


Progress = Callable[[ScenarioResult], None]


async def run_all(
    paths: list[Path],
    options: RunOptions,
    on_result: Progress | None = None,
    speech: Any = None,
) -> list[ScenarioResult]:
    """Run every scenario (up to `options.jobs` at once); results in the order given."""
    semaphore = asyncio.Semaphore(max(1, options.jobs))

    async def one(path: Path, url: str, store: Any) -> ScenarioResult:
        async with semaphore:
            try:
                result = await run_one(path, options, url, store)
            except (AudioFileError, VoicebotError, OSError) as exc:
                result = ScenarioResult(path.stem, path, "fail", [str(exc)])
        if on_result:
            on_result(result)
        return result

    if options.url:
        return list(await asyncio.gather(*(one(p, options.url, None) for p in paths)))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        async with in_process_server(
            options.factor, Path(tmp) / "calls.db", speech, options.record_fixtures
        ) as server:
            return list(
                await asyncio.gather(*(one(p, server.stream_url, server.ctx.store) for p in paths))
            )


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
