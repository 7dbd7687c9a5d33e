"""The `voicebot` command: thin wrappers over importable functions, one clear line on error."""

from __future__ import annotations

from pathlib import Path

import typer

from voicebot import logs
from voicebot.exceptions import VoicebotError

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
        False, "--insecure-dev", help="Accept unsigned Twilio requests on a non-loopback address."
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
    from voicebot.tools.replay.command import replay as run_replay

    try:
        if speed not in ("realtime", "fast"):
            raise VoicebotError(f"--speed must be realtime or fast, not {speed!r}")
        code = run_replay(
            paths, url=url, auth_token=auth_token, admin_token=admin_token, speed=speed,  # type: ignore[arg-type]
            jobs=jobs, junit=junit, report=report, out_dir=audio_dir, reply_timeout=timeout,
        )  # fmt: skip
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


flows_app = typer.Typer(no_args_is_help=True, help="Check and describe dialogue flows.")
app.add_typer(flows_app, name="flows")


@flows_app.command("validate")
def flows_validate(
    paths: list[Path] = typer.Argument(None, help="Flow files or folders [dialog_flows]."),
) -> None:
    """Print every problem as FILE:LINE:COL: error|warning CODE message; exit 1 on errors."""
    from voicebot.flows.validate import validate_paths

    diagnostics = validate_paths(paths or [Path("dialog_flows")])
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic))
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    raise typer.Exit(code=1 if errors else 0)


@flows_app.command("test")
def flows_test(
    paths: list[Path] = typer.Argument(None, help="Test files or folders [dialog_flows/tests]."),
    flows_dir: Path = typer.Option(Path("dialog_flows"), help="Folder of the flows under test."),
) -> None:
    """Run the flows' conversation tests (text only, no audio); exit 1 if any fails."""
    from voicebot.dialogue.conversation_tests import run_test_files
    from voicebot.flows.loader import load_flows
    from voicebot.flows.validate import flow_files

    files, missing = flow_files(paths or [flows_dir / "tests"])
    try:
        if missing:
            raise VoicebotError(f"{missing[0].path}: no such file")
        run = run_test_files(files, load_flows(flows_dir))
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
    flow: Path = typer.Argument(..., help="The flow file to draw."),
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        help="Write here instead of stdout: .svg or .png draws the graph, else Mermaid text.",
    ),
) -> None:
    """The flow as a picture: nodes, transitions, conditions, webhooks, transfers, retry exits."""
    from voicebot.flows.graph import mermaid, render
    from voicebot.flows.loader import load_flow

    try:
        loaded = load_flow(flow)
        if output is not None and output.suffix.lower() in (".svg", ".png"):
            render(loaded, output)
        elif output is None:
            typer.echo(mermaid(loaded), nl=False)
            return
        else:
            output.write_text(mermaid(loaded), encoding="utf-8")
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
