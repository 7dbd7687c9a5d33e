"""Prometheus metrics of the calls a worker runs, fed by one observer per call's pipeline.

`CallMetricsObserver` watches the frames of one call (each at its first push) and times every
caller turn by stage; at the end of the call it counts the outcome, transfers and bad wire
frames from what the call recorded. With several worker processes, set
`PROMETHEUS_MULTIPROC_DIR` before start-up (`voicebot serve --workers N` does) and `render()`
adds up every worker's figures. Metric labels never carry caller data: only stage, reason and
outcome names.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from pipecat.frames.frames import (
    ErrorFrame,
    InterruptionFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Turn stages take tens of milliseconds to a few seconds.
_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)

ACTIVE_CALLS = Gauge(
    "voicebot_active_calls", "Calls this worker is running now.", multiprocess_mode="livesum"
)
CALLS = Counter("voicebot_calls", "Calls ended, by outcome (the call's end reason).", ["outcome"])
TRANSFERS = Counter("voicebot_transfers", "Calls sent to a human queue, by reason.", ["reason"])
TURN_STAGE = Histogram(
    "voicebot_turn_stage_seconds",
    "Time per caller turn in each stage: end_of_turn (the silence the VAD waits for), stt "
    "(turn end to transcript), dialogue (transcript to the reply's text), tts_first_audio "
    "(reply text to its first audio).",
    ["stage"],
    buckets=_BUCKETS,
)
RESPONSE = Histogram(
    "voicebot_response_seconds",
    "Caller's last speech to the bot's first reply audio, per turn.",
    buckets=_BUCKETS,
)
BAD_FRAMES = Counter(
    "voicebot_bad_wire_frames", "Twilio frames dropped as malformed, by kind.", ["kind"]
)
BACKEND_FAULTS = Counter(
    "voicebot_backend_faults", "Errors raised by a pipeline stage, by stage.", ["stage"]
)
MODEL_LOADED = Gauge(
    "voicebot_model_loaded",
    "1 when the speech stage's model is loaded in this worker.",
    ["stage", "backend"],
    multiprocess_mode="livemax",
)


def model_loaded(stage: str, backend: str) -> None:
    """Record that `stage` ("stt", "tts", "llm") has `backend` ready."""
    MODEL_LOADED.labels(stage=stage, backend=backend).set(1)


def render() -> tuple[bytes, str]:
    """The metrics page: every worker's figures when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE
    return generate_latest(REGISTRY), CONTENT_TYPE


def mark_process_dead(pid: int) -> None:
    """A worker exited: drop its live gauges (active calls, models) from the sums."""
    if os.environ.get(MULTIPROC_ENV):
        _multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class CallMetricsObserver(BaseObserver):
    """Times one call's turns from its frames and counts how the call ended."""

    def __init__(self) -> None:
        super().__init__(observe_every_push=False)  # each frame once, when first pushed
        self._speech_ended: float | None = None  # caller's last speech, this turn
        self._turn_ended: float | None = None  # the VAD declared the turn over
        self._transcribed: float | None = None
        self._reply_text: float | None = None
        self._active = False

    def call_started(self) -> None:
        if not self._active:
            self._active = True
            ACTIVE_CALLS.inc()

    def call_ended(
        self, outcome: str, events: Iterable[Mapping[str, Any]], bad_frames: Mapping[str, int]
    ) -> None:
        """Count the ended call: its outcome, the transfers and bad frames it recorded."""
        if self._active:
            self._active = False
            ACTIVE_CALLS.dec()
        CALLS.labels(outcome=outcome).inc()
        for event in events:
            if event.get("kind") == "transfer":
                TRANSFERS.labels(reason=str(event.get("reason") or "unknown")).inc()
        for kind, count in bad_frames.items():
            BAD_FRAMES.labels(kind=kind).inc(count)

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        now = time.monotonic()
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            if data.direction != FrameDirection.DOWNSTREAM:
                return  # the VAD broadcasts it both ways: one turn end, counted once
            self._turn_ended = now
            self._speech_ended = now - frame.stop_secs
            self._transcribed = self._reply_text = None
            TURN_STAGE.labels(stage="end_of_turn").observe(frame.stop_secs)
        elif isinstance(frame, TranscriptionFrame) and self._turn_ended is not None:
            self._transcribed = now
            TURN_STAGE.labels(stage="stt").observe(now - self._turn_ended)
            self._turn_ended = None
        elif isinstance(frame, TTSSpeakFrame) and self._transcribed is not None:
            if self._reply_text is None:
                self._reply_text = now
                TURN_STAGE.labels(stage="dialogue").observe(now - self._transcribed)
        elif isinstance(frame, TTSAudioRawFrame) and self._reply_text is not None:
            TURN_STAGE.labels(stage="tts_first_audio").observe(now - self._reply_text)
            if self._speech_ended is not None:
                RESPONSE.observe(now - self._speech_ended)
            self._speech_ended = self._transcribed = self._reply_text = None
        elif isinstance(frame, InterruptionFrame):
            self._transcribed = self._reply_text = None
        elif isinstance(frame, ErrorFrame):
            stage = type(data.source).__name__ if data.source is not None else "pipeline"
            BACKEND_FAULTS.labels(stage=stage).inc()
