"""The web server Twilio talks to: voice webhook, media stream, after-stream, call records."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from loguru import logger
from starlette.requests import HTTPConnection

from voicebot.audio.wavfile import wav_bytes
from voicebot.exceptions import ConfigError, StoreError
from voicebot.flows.flow import Flow
from voicebot.flows.folder import flows_folder
from voicebot.flows.loader import load_flows
from voicebot.pipeline import metrics
from voicebot.pipeline.apologies import apologies
from voicebot.pipeline.stack import (
    ConfiguredSpeechStack,
    EmbeddedSpeechStack,
    SpeechStacks,
    fixed_prompts,
)
from voicebot.server import admin, flow_watcher
from voicebot.server.after_stream import after_stream_twiml, queue_result_twiml
from voicebot.server.drain import LiveCalls
from voicebot.server.flow_versions import FlowVersions
from voicebot.server.stream import run_call
from voicebot.settings import Settings
from voicebot.speech.models import require_models
from voicebot.storage import open_store
from voicebot.storage.calls import CallStore
from voicebot.storage.workers import WorkerLease
from voicebot.twilio import signature, twiml

TWIML = "application/xml"
DRAINING = "this worker is draining; try another"
SHUTDOWN_FLUSH_SECS = 5.0


@dataclass
class AppContext:
    settings: Settings
    flows: dict[str, Flow]
    store: CallStore
    speech: EmbeddedSpeechStack | ConfiguredSpeechStack
    require_signature: bool
    fixture_recorder: Any = None
    """`serve --record-fixtures`: a voicebot.tools.replay.recorder.FixtureRecorder, or None."""
    stacks: SpeechStacks | None = None
    """Stacks for flows whose `speech:` differs from the settings (built at start-up)."""
    calls: LiveCalls = field(default_factory=LiveCalls)
    """This worker's live calls; draining once SIGTERM arrives."""
    flow_health: flow_watcher.FlowHealth = field(default_factory=flow_watcher.FlowHealth)
    """When the flows loaded, and the problems of an edit that was rejected."""
    flow_versions: FlowVersions = field(init=False)
    """Every flow version a call started on (in the store): how webhooks route a call."""

    def __post_init__(self) -> None:
        self.flow_versions = FlowVersions(self.store)

    def close(self) -> None:
        """Stop what the context started (speech decode processes)."""
        self.speech.close()
        if self.stacks is not None:
            self.stacks.close()

    def speech_for(self, flow: Flow) -> EmbeddedSpeechStack | ConfiguredSpeechStack:
        """The speech stack `flow`'s calls use."""
        if flow.speech is None or self.stacks is None or not flow.speech.overrides():
            return self.speech
        return self.stacks.for_flow(flow.speech.overrides())


def create_app(ctx: AppContext, *, watch_flows: bool = False) -> FastAPI:
    """The server's routes over `ctx`; with `watch_flows`, edits to the flows directory are
    picked up for new calls while it runs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # This process owns the calls it starts; calls of workers that died are closed.
        lease = WorkerLease(ctx.store)
        try:
            lease.start()
        except StoreError as error:
            logger.warning(f"call store: worker not registered ({error})")
        try:
            if not watch_flows:
                yield
                return
            stop = asyncio.Event()
            watcher = asyncio.create_task(flow_watcher.watch_flows(ctx, stop))
            try:
                yield
            finally:
                stop.set()
                await watcher
        finally:
            lease.stop()
            # Writes queued while the database was away: a last chance to write them.
            if not await asyncio.to_thread(ctx.store.flush, SHUTDOWN_FLUSH_SECS):
                logger.error(f"{ctx.store.pending_writes} call store writes lost at shutdown")

    app = FastAPI(title="voicebot", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    token = ctx.settings.twilio_auth_token

    def signed(connection: HTTPConnection, params: dict[str, str]) -> bool:
        """Whether Twilio signed this request (always true when no token is configured)."""
        if not ctx.require_signature:
            return True
        url = connection.url
        public = signature.public_url(
            url.scheme, connection.headers.get("host", ""), url.path, url.query,
            ctx.settings.public_url,
        )  # fmt: skip
        given = connection.headers.get(signature.HEADER)
        return token is not None and signature.is_valid(token, public, params, given)

    async def signed_form(request: Request) -> dict[str, str]:
        """The webhook's form fields, after checking Twilio's signature over them."""
        body = (await request.body()).decode("utf-8", errors="replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        if not signed(request, form):
            logger.warning(f"rejected unsigned or forged request to {request.url.path}")
            raise HTTPException(status_code=403, detail="invalid Twilio signature")
        return form

    def base_urls(request: Request) -> tuple[str, str]:
        base = (ctx.settings.public_url or f"{request.url.scheme}://{request.url.netloc}").rstrip(
            "/"
        )
        ws_base = base.replace("https://", "wss://").replace("http://", "ws://")
        return base, ws_base

    def refuse_while_draining() -> None:
        if ctx.calls.draining:
            # 503 + Retry-After: the load balancer (or Twilio's fallback URL) tries elsewhere.
            raise HTTPException(status_code=503, detail=DRAINING, headers={"Retry-After": "1"})

    @app.post("/twilio/voice")
    async def voice(request: Request) -> Response:
        form = await signed_form(request)
        refuse_while_draining()
        base, ws_base = base_urls(request)
        parameters = {"caller": form.get("From", ""), "called": form.get("To", "")}
        if flow := request.query_params.get("flow"):
            parameters["flow"] = flow
        body = twiml.connect_stream(
            f"{ws_base}/twilio/stream", f"{base}/twilio/after-stream", parameters
        )
        return Response(body, media_type=TWIML)

    @app.post("/twilio/after-stream")
    async def after_stream(request: Request) -> Response:
        # A transfer not yet carried out, or a stream that dropped mid-call, goes to a queue.
        form = await signed_form(request)
        base, _ = base_urls(request)
        body = await after_stream_twiml(
            ctx.store, ctx.flows, ctx.settings, form.get("CallSid", ""), base,
            caller=form.get("From"), versions=ctx.flow_versions,
        )  # fmt: skip
        return Response(body, media_type=TWIML)

    @app.post("/twilio/queue-result")
    async def queue_result(request: Request) -> Response:
        form = await signed_form(request)
        base, _ = base_urls(request)
        queue = request.query_params.get("queue", "")
        body = queue_result_twiml(
            ctx.store, ctx.flows, form.get("CallSid", ""), queue, form, base, ctx.flow_versions
        )
        return Response(body, media_type=TWIML)

    @app.get(twiml.FAULT_APOLOGY_PATH)
    async def fault_apology() -> Response:
        # Played by Twilio (`<Play>`) after a backend fault: fixed words, nothing of a call's.
        spoken = apologies(ctx.settings.tts_voice)
        return Response(
            wav_bytes(spoken.fault, spoken.sample_rate),
            media_type="audio/wav",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/handoffs")
    async def list_handoffs(request: Request, limit: int = 50) -> list[dict[str, Any]]:
        require_admin(request)
        return [h["packet"] | {"status": h["status"]} for h in ctx.store.list_handoffs(limit)]

    @app.get("/handoffs/{handoff_id}")
    async def get_handoff(handoff_id: str, request: Request) -> dict[str, Any]:
        require_admin(request)
        handoff = ctx.store.get_handoff(handoff_id)
        if handoff is None:
            raise HTTPException(status_code=404, detail="no such handoff")
        return dict(handoff["packet"]) | {"status": handoff["status"], "twiml": handoff["twiml"]}

    @app.websocket("/twilio/stream")
    async def stream(websocket: WebSocket) -> None:
        if not signed(websocket, {}):
            logger.warning("rejected unsigned or forged media stream handshake")
            await websocket.close(code=1008)  # before accept: the client gets HTTP 403
            return
        if ctx.calls.draining:
            logger.info("refused a new media stream: draining")
            await websocket.send_denial_response(
                Response(DRAINING, status_code=503, headers={"Retry-After": "1"})
            )
            return
        await run_call(websocket, ctx)

    def require_admin(request: Request) -> None:
        admin = ctx.settings.admin_token
        if admin:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {admin}".encode()):
                raise HTTPException(status_code=401, detail="admin token required")

    @app.get("/calls/{call_sid}")
    async def get_call(call_sid: str, request: Request) -> dict[str, Any]:
        require_admin(request)
        record = ctx.store.get_call(call_sid)
        if record is None:
            raise HTTPException(status_code=404, detail="no such call")
        return record

    @app.get("/healthz")
    async def healthz() -> Response:
        # 503 while draining: load balancer health checks take the worker out of rotation.
        status = "draining" if ctx.calls.draining else "ok"
        body = {"status": status, "flows": sorted(ctx.flows), "live_calls": len(ctx.calls)}
        return JSONResponse(body, status_code=503 if ctx.calls.draining else 200)

    @app.get("/metrics")
    async def prometheus_metrics(request: Request) -> Response:
        require_admin(request)  # the admin token when set, like the other operator routes
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    admin.install(app, ctx)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_context(
    settings: Settings,
    *,
    host: str,
    insecure_dev: bool = False,
    speech: EmbeddedSpeechStack | ConfiguredSpeechStack | None = None,
) -> AppContext:
    """Load everything a server needs before it accepts a call; fail with one clear error.

    Without an auth token, unsigned Twilio requests are accepted only on loopback or with an
    explicit `insecure_dev`; anywhere else the server refuses to start. The same holds for the
    admin routes (call records, handoffs) without an admin token.
    """
    if not settings.twilio_auth_token and not (insecure_dev or is_loopback(host)):
        raise ConfigError(
            f"VOICEBOT_TWILIO_AUTH_TOKEN is not set, so Twilio requests cannot be verified; "
            f"refusing to serve unsigned requests on {host}. Set the token, bind to "
            f"127.0.0.1, or pass --insecure-dev."
        )
    if not settings.admin_token and not (insecure_dev or is_loopback(host)):
        raise ConfigError(
            f"VOICEBOT_ADMIN_TOKEN is not set, so call records and handoffs (/calls, "
            f"/handoffs) would be open to anyone; refusing to serve them on {host}. Set the "
            f"token, bind to 127.0.0.1, or pass --insecure-dev."
        )
    store = open_store(settings.database_url, settings.db_path)  # unreachable: one line, here
    flows = load_flows(flows_folder(settings.flows_dir))
    apologies(settings.tts_voice)  # synthesised now, so they play even if TTS fails mid-call
    metrics.model_loaded("tts", "espeak")
    if settings.flow not in flows:
        raise ConfigError(
            f"default flow '{settings.flow}' not found in {settings.flows_dir} "
            f"(found: {', '.join(sorted(flows)) or 'none'})"
        )
    prompts = fixed_prompts(flows.values())  # piper says these from memory
    stacks = SpeechStacks(settings, prime=prompts)
    for flow in flows.values():  # a flow's own stages load now: a missing model stops here
        if flow.speech is not None and flow.speech.overrides():
            stacks.for_flow(flow.speech.overrides())
    return AppContext(
        stacks=stacks,
        settings=settings,
        flows=flows,
        store=store,
        # The stages the settings choose; a missing model stops here with its fetch command.
        speech=speech or ConfiguredSpeechStack(require_models(settings), prime=prompts),
        require_signature=settings.twilio_auth_token is not None,
    )
