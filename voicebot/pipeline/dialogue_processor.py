"""The adapter between pipecat frames and the pure dialogue engine, one per call.

Frames in (transcripts, keypad digits, VAD, Twilio marks) become engine events; the engine's
actions become frames out (speech, marks, the expectation the recogniser decodes against).
It also owns the call's timers (no input, inter-digit) and barge-in.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING, Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    OutputTransportMessageFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    TTSUpdateSettingsFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from voicebot.dialogue.actions import (
    BackendFault,
    CallStarted,
    CallWebhook,
    DtmfDigit,
    EndCall,
    Event,
    Expectation,
    HangUp,
    Listen,
    NoInput,
    Say,
    SetSlot,
    Transfer,
    Utterance,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.pipeline.call import CallInfo
from voicebot.pipeline.frames import CallStopFrame, ExpectationFrame, MarkEchoFrame
from voicebot.pipeline.webhook_client import WebhookClient
from voicebot.speech.espeak_tts import EspeakTTSSettings
from voicebot.storage.calls import CallStore
from voicebot.telephony.wire import mark_message

if TYPE_CHECKING:
    from voicebot.llm.understanding import LLMUnderstander

INTER_DIGIT_TIMEOUT_SECS = 3.0
# If Twilio never echoes the last mark (a broken peer), end the call anyway after this long.
END_OF_CALL_FALLBACK_SECS = 30.0
MASK = "****"


class DialogueProcessor(FrameProcessor):
    def __init__(
        self,
        engine: DialogueEngine,
        call: CallInfo,
        store: CallStore,
        webhooks: WebhookClient | None = None,
        understander: LLMUnderstander | None = None,
    ) -> None:
        super().__init__(name="DialogueProcessor")
        self._understander = understander
        self._engine = engine
        self._webhooks = webhooks or WebhookClient()
        self._tts_style: str | None = None
        self._call = call
        self._store = store
        self._expect: Expectation | None = None
        self._marks = itertools.count(1)
        self._pending_marks: set[str] = set()
        self._ending: str | None = None
        self._timer: asyncio.Task[None] | None = None
        self._end_fallback: asyncio.Task[None] | None = None
        self._user_stopped_at: float | None = None
        self._reply_pending_since: float | None = None
        self.hangup_seen = False

    # -- frames in ------------------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)

        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            await self._handle(CallStarted(call_sid=self._call.call_sid, caller=self._call.caller))
        elif isinstance(frame, TranscriptionFrame):
            await self._on_transcription(frame)
        elif isinstance(frame, InputDTMFFrame):
            await self._on_dtmf(frame.button.value)
        elif isinstance(frame, MarkEchoFrame):
            await self._on_mark(frame.mark)
        elif isinstance(frame, CallStopFrame):
            self.hangup_seen = True
            self._store.add_event(self._call.call_sid, "twilio_stop")
            await self._handle(HangUp("caller_hung_up"))
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._cancel_timer()
            if self._pending_marks and not self._ending:
                await self._barge_in("speech")
            await self.push_frame(frame, direction)
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._user_stopped_at = time.monotonic()
            await self.push_frame(frame, direction)
        elif isinstance(frame, BotStartedSpeakingFrame):
            if self._reply_pending_since is not None:
                reply_ms = round((time.monotonic() - self._reply_pending_since) * 1000)
                self._store.add_event(self._call.call_sid, "bot_audio_started", after_ms=reply_ms)
                self._reply_pending_since = None
            await self.push_frame(frame, direction)
        elif isinstance(frame, (EndFrame, CancelFrame)):
            self._cancel_timer()
            self._cancel_end_fallback()
            await self.push_frame(frame, direction)
        else:
            await self.push_frame(frame, direction)

    async def backend_fault(self, stage: str, retryable: bool = False) -> None:
        """Called by the pipeline when a speech service fails: apologise and hand over."""
        if not self._ending:
            self._store.add_event(self._call.call_sid, "backend_fault", stage=stage)
            await self._handle(BackendFault(stage=stage, retryable=retryable))

    async def _on_transcription(self, frame: TranscriptionFrame) -> None:
        result: Any = frame.result
        confidence = float(getattr(result, "confidence", 1.0 if frame.text else 0.0))
        turn_ms = (
            round((time.monotonic() - self._user_stopped_at) * 1000)
            if self._user_stopped_at
            else None
        )
        self._reply_pending_since = self._user_stopped_at or time.monotonic()
        turn = {
            "transcript": MASK if self._expecting_sensitive() and frame.text else frame.text,
            "confidence": round(confidence, 3),
            "stt_ms": getattr(result, "decode_ms", None),
            "end_of_turn_to_transcript_ms": turn_ms,
        }
        utterance = await self._understood(Utterance(text=frame.text, confidence=confidence))
        if utterance.intent or utterance.slot_text:
            turn["understood_by"] = "llm"
        await self._handle(utterance, ("caller_said", turn))

    async def _understood(self, utterance: Utterance) -> Utterance:
        """The LLM fallback: a turn the node's grammar misses is offered to the model (which
        keeps to its own time budget); the engine still validates what comes back."""
        if self._understander is None or not utterance.text.strip() or self._engine.ended:
            return utterance
        if self._engine.understands(utterance.text):
            return utterance
        got = await self._understander.understand(utterance.text, self._engine.expectation())
        if got is None:
            return utterance
        return Utterance(
            utterance.text, utterance.confidence, intent=got.intent, slot_text=got.slot_text
        )

    async def _on_dtmf(self, digit: str) -> None:
        self._cancel_timer()
        if self._pending_marks and not self._ending:
            await self._barge_in("keypad")
        self._reply_pending_since = time.monotonic()
        turn = {"digit": MASK if self._expecting_sensitive() else digit}
        actions = await self._handle(DtmfDigit(digit=digit), ("caller_keyed", turn))
        if not actions and not self._ending:
            # Mid-way through keying a number: wait a little for the next key.
            self._start_timer(INTER_DIGIT_TIMEOUT_SECS)

    def _expecting_sensitive(self) -> bool:
        return bool(self._expect and self._expect.slot and self._expect.slot.sensitive)

    async def _on_mark(self, name: str) -> None:
        if name not in self._pending_marks:
            return  # echoed after a `clear`: that audio was never heard
        self._pending_marks.discard(name)
        if self._pending_marks:
            return
        if self._ending:
            await self._end_pipeline()
        elif self._expect is not None:
            self._start_timer(self._expect.no_input_timeout)

    async def _barge_in(self, how: str) -> None:
        # Marks still pending were for audio the caller talked over; their echoes
        # (Twilio echoes pending marks on `clear`) must not count as heard.
        self._pending_marks.clear()
        self._store.add_event(self._call.call_sid, "barge_in", by=how, node=self._engine.node)
        await self.broadcast_interruption()

    # -- engine -------------------------------------------------------------------------------

    async def _handle(
        self, event: Event, turn: tuple[str, dict[str, Any]] | None = None
    ) -> list[object]:
        """Run one event through the engine and carry out its actions. `turn` is the caller's
        side of the event (kind and fields), recorded before the bot's reply to it."""
        if self._engine.ended:
            return []
        node = self._engine.node
        actions: list[object] = list(self._engine.handle(event))
        if turn is not None:
            self._record_turn(turn[0], node=node, **turn[1])
        says: list[Say] = []
        for action in actions:
            if isinstance(action, Say):
                says.append(action)
                self._store.add_event(
                    self._call.call_sid,
                    "bot_said",
                    text=MASK if action.private else action.text,
                    style=action.style,
                )
            elif isinstance(action, CallWebhook):
                self._expect = None  # nothing to listen for until the answer decides
                self.create_task(self._run_webhook(action))
            elif isinstance(action, Listen):
                self._expect = action.expect
                await self.push_frame(
                    ExpectationFrame(expect=action.expect), FrameDirection.UPSTREAM
                )
            elif isinstance(action, SetSlot):
                self._store.add_event(
                    self._call.call_sid,
                    "slot_set",
                    slot=action.name,
                    value=MASK if action.sensitive else action.value,
                )
            elif isinstance(action, Transfer):
                self._ending = "transferred"
                self._store.add_event(
                    self._call.call_sid,
                    "transfer",
                    queue=action.queue,
                    reason=action.reason,
                    handoff=action.handoff,
                )
                logger.bind(call_sid=self._call.call_sid, queue=action.queue).info(
                    f"call transferred to queue '{action.queue}' ({action.reason})"
                )
            elif isinstance(action, EndCall):
                self._ending = action.reason
        if isinstance(event, HangUp):
            self._ending = event.reason
            return actions
        for say in says:
            await self._set_style(say.style)
            await self.push_frame(TTSSpeakFrame(text=say.text))
        if says:
            name = f"say-{next(self._marks)}"
            self._pending_marks.add(name)
            message = mark_message(self._call.stream_sid, name)
            await self.push_frame(OutputTransportMessageFrame(message=message))
        elif self._ending:
            await self._end_pipeline()
        if self._ending and self._end_fallback is None:
            self._end_fallback = self.create_task(self._end_after(END_OF_CALL_FALLBACK_SECS))
        return actions

    async def _run_webhook(self, action: CallWebhook) -> None:
        node = self._engine.node
        result, elapsed = await self._webhooks.call(action)
        self._store.add_event(
            self._call.call_sid, "webhook", node=node, ok=result.ok, error=result.error, ms=elapsed
        )
        await self._handle(result)

    async def _set_style(self, style: str) -> None:
        """Switch the TTS voice (rate, pitch) to the reply's style when it changes."""
        wanted = None if style == "neutral" else style
        if wanted != self._tts_style:
            self._tts_style = wanted
            await self.push_frame(TTSUpdateSettingsFrame(delta=EspeakTTSSettings(style=wanted)))

    @property
    def end_reason(self) -> str | None:
        return self._ending

    def _record_turn(self, kind: str, **data: Any) -> None:
        turn = self._engine.last_turn
        self._store.add_event(
            self._call.call_sid,
            kind,
            **data,
            intent=getattr(turn, "intent", None),
            slot=getattr(turn, "slot", None),
            outcome=getattr(turn, "outcome", None),
            next_node=self._engine.node,
            slots=self._engine.masked_slots(),
        )

    async def _end_pipeline(self) -> None:
        self._cancel_timer()
        await self.push_frame(EndWorkerFrame(), FrameDirection.UPSTREAM)

    # -- timers -------------------------------------------------------------------------------

    def _start_timer(self, secs: float) -> None:
        self._cancel_timer()
        self._timer = self.create_task(self._no_input_after(secs))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            task, self._timer = self._timer, None
            if task is not asyncio.current_task():
                task.cancel()

    def _cancel_end_fallback(self) -> None:
        if self._end_fallback is not None and self._end_fallback is not asyncio.current_task():
            self._end_fallback.cancel()
        self._end_fallback = None

    async def _no_input_after(self, secs: float) -> None:
        await asyncio.sleep(secs)
        self._timer = None
        await self._handle(NoInput(), ("caller_silent", {}))

    async def _end_after(self, secs: float) -> None:
        await asyncio.sleep(secs)
        logger.bind(call_sid=self._call.call_sid).warning("last mark never echoed; ending call")
        await self._end_pipeline()
