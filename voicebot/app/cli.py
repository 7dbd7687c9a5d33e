"""The `voicebot` command: thin wrappers over importable functions, one clear line on error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from voicebot import logs
from voicebot.exceptions import VoicebotError

if TYPE_CHECKING:
    from voicebot.analytics.calls import CallDigest

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Voice IVR agent for call centres."
)


def fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8080, min=0, max=65535, help="Port to listen on (0: a free one)."),
    workers: int = typer.Option(
        1,
        min=1,
        max=64,
        envvar="VOICEBOT_WORKERS",
        help="Worker processes sharing the port (use the machine's cores).",
    ),
    drain_secs: float = typer.Option(
        300.0,
        min=0,
        envvar="VOICEBOT_DRAIN_SECS",
        help="On SIGTERM, how long live calls may go on before they are cut.",
    ),
    insecure_dev: bool = typer.Option(
        False,
        "--insecure-dev",
        help="Accept unsigned Twilio requests, and serve admin routes without a token, on a "
        "non-loopback address.",
    ),
    flows_dir: Path | None = typer.Option(None, help="Folder of flow YAML files."),
    db: Path | None = typer.Option(None, help="SQLite file for call records."),
    record_fixtures: Path | None = typer.Option(
        None, help="Save each call's inbound frames here as a replay scenario."
    ),
) -> None:
    """Serve Twilio's voice webhook and media streams; SIGTERM drains live calls first."""
    logs.configure("INFO")  # before pipecat is imported: it logs a banner on import
    from voicebot.server.serving import ServeOptions
    from voicebot.server.serving import serve as run_server
    from voicebot.tools.replay.recorder import FixtureRecorder

    options = ServeOptions(
        host=host, port=port, workers=workers, drain_secs=drain_secs, insecure_dev=insecure_dev,
        flows_dir=flows_dir, db=db, record_fixtures=record_fixtures, recorder=FixtureRecorder,
    )  # fmt: skip
    try:
        code = run_server(options, echo=typer.echo)
    except VoicebotError as error:
        fail(error)
        return
    raise typer.Exit(code=code)


@app.command()
def models() -> None:
    """List each speech/LLM backend: model present?, where it looked, how to fetch it."""
    logs.configure("WARNING")  # before pipecat is imported: it logs a banner on import
    from voicebot.settings import Settings
    from voicebot.speech.models import format_report, model_report

    try:
        statuses = model_report(Settings.from_env())
    except VoicebotError as error:
        fail(error)
        return
    typer.echo(format_report(statuses))
    if any(s.selected and not s.present for s in statuses):
        raise typer.Exit(code=1)


@app.command()
def demo(
    speed: float = typer.Option(1.0, min=0.1, max=50.0, help="Caller audio pace (1 = real time)."),
    output: Path = typer.Option(
        Path("demo_call.wav"), "-o", "--output", help="Recording to write."
    ),
    fixtures: Path = typer.Option(
        Path("audio_fixtures/demo"), help="Folder of the demo caller's recordings."
    ),
) -> None:
    """Place a full simulated phone call against an in-process server and print it."""
    logs.configure("WARNING")  # before pipecat is imported: it logs a banner on import
    from voicebot.settings import Settings
    from voicebot.tools import demo as demo_module

    try:
        if not fixtures.is_dir():
            raise VoicebotError(
                f"fixture folder {fixtures} not found (run from the repository root)"
            )
        code = demo_module.main(speed, output, fixtures, Settings.from_env())
    except VoicebotError as error:
        fail(error)
        return
    raise typer.Exit(code=code)


@app.command()
def replay(
    paths: list[Path] = typer.Argument(
        None, help="Scenario files or folders [audio_fixtures/scenarios]."
    ),
    url: str = typer.Option(None, help="A deployed server's stream URL (wss://…/twilio/stream)."),
    auth_token: str = typer.Option(
        None, envvar="VOICEBOT_TWILIO_AUTH_TOKEN", help="Sign the handshake as Twilio would."
    ),
    admin_token: str = typer.Option(
        None, envvar="VOICEBOT_ADMIN_TOKEN", help="Bearer token for GET /calls on --url."
    ),
    speed: str = typer.Option("realtime", help="realtime, or fast (compressed time, for CI)."),
    jobs: int = typer.Option(1, "-j", "--jobs", min=1, max=16, help="Calls at once."),
    junit: Path = typer.Option(None, help="Write a JUnit XML report here."),
    report: Path = typer.Option(None, help="Write an HTML (or .md Markdown) report here."),
    audio_dir: Path = typer.Option(None, help="Save each call's recording here."),
    timeout: float = typer.Option(10.0, min=0.5, help="Seconds to wait for the bot each turn."),
) -> None:
    """Replay recorded calls against the bot; exit 0 only if every scenario passes."""
    logs.configure("WARNING")  # before pipecat is imported: it logs a banner on import
    from voicebot.tools.replay.command import UsageError
    from voicebot.tools.replay.command import replay as run_replay

    try:
        if speed not in ("realtime", "fast"):
            raise VoicebotError(f"--speed must be realtime or fast, not {speed!r}")
        code = run_replay(
            paths, url=url, auth_token=auth_token, admin_token=admin_token, speed=speed,  # type: ignore[arg-type]
            jobs=jobs, junit=junit, report=report, out_dir=audio_dir, reply_timeout=timeout,
        )  # fmt: skip
    except UsageError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except VoicebotError as error:
        fail(error)
        return
    raise typer.Exit(code=code)


fixtures_app = typer.Typer(no_args_is_help=True, help="Make and check caller audio fixtures.")
app.add_typer(fixtures_app, name="fixtures")


@fixtures_app.command("synth")
def fixtures_synth(
    text: str = typer.Argument(..., help="What the caller says."),
    output: Path = typer.Option(..., "-o", "--output", help="WAV file to write."),
    voice: str = typer.Option("en-us", help="espeak-ng voice, e.g. en-gb+f3."),
    rate: int = typer.Option(160, min=80, max=450, help="Words per minute."),
    noise: float = typer.Option(0.0, help="White noise RMS, fraction of full scale (0-0.5)."),
) -> None:
    """Text → telephone-quality WAV (8 kHz, μ-law round trip, -3 dBFS peak)."""
    from voicebot.tools.replay.fixtures import synth

    try:
        seconds = synth(text, output, voice=voice, rate=rate, noise=noise)
    except VoicebotError as error:
        fail(error)
        return
    typer.echo(f"wrote {output} ({seconds:.2f} s)")


@fixtures_app.command("check")
def fixtures_check(
    paths: list[Path] = typer.Argument(
        None, help="Scenarios, folders or audio files [audio_fixtures/scenarios]."
    ),
    verbose: bool = typer.Option(False, "-v", help="Also list the files that are fine."),
) -> None:
    """Every referenced file exists, decodes and is telephone-ready; exit 1 if not."""
    from voicebot.tools.replay.fixtures import check, is_bad

    findings = check(paths or [Path("audio_fixtures/scenarios")])
    for finding in findings:
        if verbose or finding.problem is not None:
            typer.echo(str(finding))
    bad = sum(is_bad(f) for f in findings)
    typer.echo(f"{len(findings)} file(s) checked, {bad} bad", err=True)
    raise typer.Exit(code=1 if bad else 0)


@app.command()
def report(
    since: str = typer.Option(
        None, help="From: YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC unless a zone is given), or 7d, 12h."
    ),
    until: str = typer.Option(None, help="Until (a bare date includes that whole day)."),
    flow: str = typer.Option(None, help="Only this flow's calls."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the figures as CSV (metric,value)."),
    funnel: str = typer.Option(
        None, help="Print this flow's per-node funnel instead (with -o, draw it on its graph)."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="With --funnel: draw it on the flow graph (.svg or .png)."
    ),
    db: Path = typer.Option(
        None, help="SQLite file of call records [VOICEBOT_DB_PATH]; VOICEBOT_DATABASE_URL wins."
    ),
) -> None:
    """What happened on the calls: containment, transfers, hang-ups, failures, latency, emotion."""
    import json

    from voicebot.analytics import build_report
    from voicebot.analytics.period import PeriodError, period
    from voicebot.analytics.report import to_csv, to_text
    from voicebot.analytics.source import calls_from
    from voicebot.settings import Settings
    from voicebot.storage import open_store

    def usage(message: str) -> None:
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(code=2)

    if as_json and as_csv:
        usage("--json and --csv are alternatives: give one")
    if output is not None and funnel is None:
        usage("-o draws a funnel: give --funnel FLOW too")
    try:
        start, stop = period(since, until)
        settings = Settings.from_env(db_path=db)
    except PeriodError as error:
        usage(str(error))
        return
    except VoicebotError as error:
        fail(error)
        return
    if not settings.database_url and not Path(settings.db_path).exists():
        usage(f"no call records at {settings.db_path} (give --db or set VOICEBOT_DB_PATH)")
    try:
        store = open_store(settings.database_url, settings.db_path)
        try:
            calls = calls_from(store, start, stop, funnel or flow)
        finally:
            store.close()
    except VoicebotError as error:  # the database is unreachable: one line
        fail(error)
        return
    if funnel is None:
        figures_ = build_report(calls)
        if as_json:
            typer.echo(json.dumps(figures_, indent=2))
        else:
            typer.echo(to_csv(figures_) if as_csv else to_text(figures_), nl=not as_csv)
        return
    _report_funnel(funnel, calls, settings.flows_dir, output, as_json)


def _report_funnel(
    name: str, calls: list[CallDigest], flows_dir: Path, output: Path | None, as_json: bool
) -> None:
    import json

    from voicebot.analytics import funnel as node_funnel
    from voicebot.analytics.funnel import figures, to_text
    from voicebot.flows.graph import render
    from voicebot.flows.loader import load_flows

    try:
        flow = load_flows(flows_dir).get(name)
        if flow is None:
            typer.echo(f"error: no flow '{name}' in {flows_dir}", err=True)
            raise typer.Exit(code=2)
        nodes = node_funnel(flow, calls)
        if output is not None:
            render(flow, output, figures(flow, nodes, f"flow {name}: calls per node"))
            typer.echo(f"wrote {output}")
            return
    except VoicebotError as error:
        fail(error)
        return
    except OSError as error:
        fail(VoicebotError(f"cannot write {output}: {error.strerror or error}"))
        return
    typer.echo(json.dumps([n.as_dict() for n in nodes], indent=2) if as_json else to_text(nodes))


flows_app = typer.Typer(no_args_is_help=True, help="Check and describe dialogue flows.")
app.add_typer(flows_app, name="flows")


def _flows_dir(given: Path | None = None) -> Path:
    """The flows folder: the option if given, else VOICEBOT_FLOWS_DIR (default dialog_flows)."""
    from voicebot.settings import Settings

    return given if given is not None else Settings.from_env().flows_dir


@flows_app.command("validate")
def flows_validate(
    paths: list[Path] = typer.Argument(
        None, help="Flow files or folders [VOICEBOT_FLOWS_DIR, default dialog_flows]."
    ),
) -> None:
    """Print every problem as FILE:LINE:COL: error|warning CODE message; exit 1 on errors."""
    from voicebot.flows.folder import flows_folder
    from voicebot.flows.validate import validate_paths

    try:
        paths = paths or [flows_folder(_flows_dir())]
    except VoicebotError as error:
        fail(error)
        return
    diagnostics = validate_paths(paths)
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic))
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    raise typer.Exit(code=1 if errors else 0)


@flows_app.command("test")
def flows_test(
    paths: list[Path] = typer.Argument(
        None, help="Test files or folders, or a flows folder (its tests/) [FLOWS_DIR/tests]."
    ),
    flows_dir: Path = typer.Option(
        None, help="Folder of the flows under test [VOICEBOT_FLOWS_DIR, default dialog_flows]."
    ),
) -> None:
    """Run the flows' conversation tests (text only, no audio); exit 1 if any fails."""
    from voicebot.dialogue.conversation_tests import run_test_files
    from voicebot.flows.folder import TESTS, flows_folder, test_folder
    from voicebot.flows.loader import load_flows
    from voicebot.flows.validate import flow_files

    try:
        chosen, folder = test_folder(paths or [], flows_dir)
        folder = flows_folder(_flows_dir(folder))
        files, missing = flow_files(chosen or [folder / TESTS])
        if missing:
            raise VoicebotError(f"{missing[0].path}: no such file or folder")
        if not files:
            raise VoicebotError(
                f"no conversation tests in {', '.join(map(str, chosen or [folder / TESTS]))} "
                "(expected *.yaml files with `flow:` and `tests:`, see docs/flows.md)"
            )
        run = run_test_files(files, load_flows(folder))
    except VoicebotError as error:
        fail(error)
        return
    for result in run.results:
        status = "PASS" if result.failure is None else f"FAIL {result.failure}"
        typer.echo(f"{result.file}: {result.name}: {status}")
    count, failed = len(run.results), len(run.failed)
    typer.echo(f"{count - failed} passed, {failed} failed in {run.seconds * 1000:.0f} ms")
    raise typer.Exit(code=1 if failed else 0)


@flows_app.command("graph")
def flows_graph(
    flow: str = typer.Argument(
        ..., help="The flow to draw: its name (in VOICEBOT_FLOWS_DIR) or its file."
    ),
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        help="Write here instead of stdout: .svg or .png draws the graph (Graphviz), .dot "
        "writes Graphviz DOT, anything else Mermaid text.",
    ),
) -> None:
    """The flow as a picture: nodes, transitions, conditions, webhooks, transfers, retry exits."""
    from voicebot.flows.folder import flow_file
    from voicebot.flows.graph import dot, mermaid, render
    from voicebot.flows.loader import load_flow

    try:
        loaded = load_flow(flow_file(flow, _flows_dir()))
        suffix = output.suffix.lower() if output is not None else ""
        if output is not None and suffix in (".svg", ".png"):
            render(loaded, output)
        elif output is None:
            typer.echo(mermaid(loaded), nl=False)
            return
        else:
            output.write_text(dot(loaded) if suffix == ".dot" else mermaid(loaded), "utf-8")
    except VoicebotError as error:
        fail(error)
    except OSError as error:
        fail(VoicebotError(f"cannot write {output}: {error.strerror or error}"))
    typer.echo(f"wrote {output}")


@flows_app.command("schema")
def flows_schema(
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        help="Where to write it [dialog_flows/flow.schema.json]; - for stdout.",
    ),
) -> None:
    """Write the JSON Schema of flow files (for editors: see the README)."""
    from voicebot.flows.schema import SCHEMA_FILE, flow_schema_json

    text = flow_schema_json()
    if output == Path("-"):
        typer.echo(text, nl=False)
        return
    target = output or SCHEMA_FILE
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(VoicebotError(f"cannot write {target}: {error.strerror or error}"))
    typer.echo(f"wrote {target}")


if __name__ == "__main__":
    app()
