"""One call over `WS /twilio/stream`: wait for Twilio's `start`, then run the call's pipeline.

The handshake is read here (not by pipecat) because the serializer needs the stream SID that
only `start` carries; frames before it are counted like any other bad frame.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING

from fastapi import WebSocket
from loguru import logger
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from pipecat.workers.runner import WorkerRunner

from voicebot.dialogue.engine import DialogueEngine
from voicebot.exceptions import StoreUnavailable, VoicebotError, WireError
from voicebot.pipeline.apologies import apologies
from voicebot.pipeline.builder import build_pipeline, tts_styles
from voicebot.pipeline.call import CallInfo
from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.pipeline.metrics import CallMetricsObserver
from voicebot.transfer.service import CallTransfers, desktop_from, updater_from
from voicebot.twilio import wire
from voicebot.twilio.serializer import BadFrameCounter, TwilioMediaStreamSerializer

if TYPE_CHECKING:
    from voicebot.flows.flow import Flow
    from voicebot.server.app import AppContext

TELEPHONE_RATE = 8000
START_TIMEOUT_SECS = 10.0
OUTBOUND_10MS_CHUNKS = 10


async def _receive_start(websocket: WebSocket, bad_frames: BadFrameCounter) -> wire.Start | None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        data = message.get("text")
        if data is None:
            data = message.get("bytes") or b""
        try:
            parsed = wire.parse_message(data)
        except WireError as error:
            bad_frames.add(error)
            continue
        if isinstance(parsed, wire.Start):
            return parsed
        if isinstance(parsed, wire.Media | wire.Dtmf | wire.Mark):
            bad_frames.add(WireError("before_start", f"{type(parsed).__name__} before start"))


def _call_transfers(
    websocket: WebSocket, ctx: AppContext, call: CallInfo, flow: Flow
) -> CallTransfers:
    """How this call's transfers are carried out: REST when credentials are set, else by
    closing the stream for `/twilio/after-stream`; TwiML callbacks go to our public URL."""
    url = websocket.url
    base = ctx.settings.public_url or f"{'https' if url.scheme == 'wss' else 'http'}://{url.netloc}"
    return CallTransfers(
        flow_name=call.flow,
        flow=flow,
        call_sid=call.call_sid,
        caller=call.caller,
        store=ctx.store,
        settings=ctx.settings,
        updater=updater_from(ctx.settings),
        desktop=desktop_from(ctx.settings),
        base_url=base,
    )


async def run_call(websocket: WebSocket, ctx: AppContext) -> None:
    await websocket.accept()
    bad_frames = BadFrameCounter()
    try:
        start = await asyncio.wait_for(_receive_start(websocket, bad_frames), START_TIMEOUT_SECS)
    except TimeoutError:
        start = None
    if start is None:
        logger.warning("stream closed or timed out before Twilio's start message")
        await websocket.close()
        return

    flow_name = start.custom_parameters.get("flow") or ctx.settings.flow
    flow = ctx.flows.get(flow_name)
    if flow is None:
        logger.bind(call_sid=start.call_sid).warning(f"unknown flow '{flow_name}'; using default")
        flow_name, flow = ctx.settings.flow, ctx.flows[ctx.settings.flow]
    call = CallInfo(
        call_sid=start.call_sid,
        stream_sid=start.stream_sid,
        flow=flow_name,
        caller=start.custom_parameters.get("caller"),
        parameters=start.custom_parameters,
    )
    bad_frames.call_sid = call.call_sid
    ctx.store.start_call(
        call.call_sid, call.stream_sid, flow_name, call.caller,
        flow_version=ctx.flow_versions.version_of(flow),
    )  # fmt: skip
    log = logger.bind(call_sid=call.call_sid)
    log.info(f"call started on flow '{flow_name}'")
    # `serve --record-fixtures`: the recorder sees each inbound frame and, at the end, the record.
    tap = ctx.fixture_recorder.open(call) if ctx.fixture_recorder else None

    engine = DialogueEngine(flow, call_sid=call.call_sid, caller=call.caller, today=date.today())
    try:
        speech = ctx.speech_for(flow)
    except VoicebotError as exc:  # a flow reloaded with a stage whose model is missing
        log.warning(f"flow '{flow_name}' speech stages unavailable ({exc}); using the server's")
        speech = ctx.speech
    dialogue = DialogueProcessor(
        engine,
        call,
        ctx.store,
        understander=speech.understander(),
        matcher=speech.matcher(),
        grammar=speech.cross_check(),
        phraser=speech.phraser(),
        answerer=speech.answerer(),
    )
    dialogue.use_transfers(
        _call_transfers(websocket, ctx, call, flow), apologies(ctx.settings.tts_voice)
    )
    transport = FastAPIWebsocketTransport(
        tap.wrap(websocket) if tap else websocket,
        FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            # 100 ms of the bot's audio per media message, not pipecat's 40: a message costs
            # the same JSON, base64 and websocket send whatever its length, and a `clear` on
            # barge-in drops what Twilio holds either way.
            audio_out_10ms_chunks=OUTBOUND_10MS_CHUNKS,
            serializer=TwilioMediaStreamSerializer(call.stream_sid, call.call_sid, bad_frames),
            allowed_origins=[],
        ),
    )
    observer = CallMetricsObserver()
    worker = PipelineWorker(
        build_pipeline(transport, speech, dialogue, styles=tts_styles(flow)),
        params=PipelineParams(
            audio_in_sample_rate=TELEPHONE_RATE, audio_out_sample_rate=TELEPHONE_RATE
        ),
        enable_rtvi=False,
        enable_turn_tracking=False,  # pipecat's own turn observer: unused, it sees every frame
        idle_timeout_secs=None,
        observers=[observer],
    )

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(_transport: object, _ws: object) -> None:
        await worker.cancel()

    @worker.event_handler("on_pipeline_error")
    async def on_pipeline_error(_worker: object, frame: object) -> None:
        processor = getattr(frame, "processor", None)
        stage = type(processor).__name__ if processor is not None else "pipeline"
        await dialogue.backend_fault(stage)

    ctx.calls.add(call.call_sid, worker.cancel)
    observer.call_started()
    try:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()
    finally:
        ctx.calls.remove(call.call_sid)
        reason = dialogue.end_reason or (
            "caller_hung_up" if dialogue.hangup_seen else "stream_dropped"
        )
        if bad_frames.counts:
            ctx.store.add_event(call.call_sid, "bad_frames", counts=dict(bad_frames.counts))
        ctx.store.end_call(call.call_sid, reason)
        log.info(f"call ended: {reason}")
        try:
            record = ctx.store.get_call(call.call_sid)
        except StoreUnavailable:
            record = None
        observer.call_ended(reason, (record or {}).get("events", ()), bad_frames.counts)
        if tap:
            tap.close(record)
