"""The adapter between pipecat frames and the pure dialogue engine, one per call.

Frames in (transcripts, keypad digits, VAD, Twilio marks) become engine events; the engine's
actions become frames out (speech, marks, the expectation the recogniser decodes against).
It also owns the call's timers (no input, inter-digit) and barge-in.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    OutputAudioRawFrame,
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
    Answered,
    AskKnowledge,
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
from voicebot.emotion import EmotionEstimate, EmotionTracker, TurnSignals, VoiceFeatures
from voicebot.flows.emotion_policy import Estimate
from voicebot.pipeline.call import CallInfo
from voicebot.pipeline.voice_features import VoiceFeaturesFrame
from voicebot.pipeline.webhook_client import WebhookClient
from voicebot.speech.espeak_tts import EspeakTTSSettings
from voicebot.speech.frames import ExpectationFrame
from voicebot.storage.calls import CallStore
from voicebot.twilio.frames import CallStopFrame, MarkEchoFrame
from voicebot.twilio.wire import mark_message

if TYPE_CHECKING:
    from voicebot.llm.answers import GroundedAnswerer
    from voicebot.llm.phrasing import Phrased, Phraser
    from voicebot.llm.understanding import LLMUnderstander
    from voicebot.pipeline.apologies import Apologies
    from voicebot.transfer.service import CallTransfers, PreparedTransfer

INTER_DIGIT_TIMEOUT_SECS = 3.0
# If Twilio never echoes the last mark (a broken peer), end the call anyway after this long.
END_OF_CALL_FALLBACK_SECS = 30.0
# A REST transfer slower than this gets the pre-synthesised "please hold" (no dead air > 2 s).
TRANSFER_HOLD_AFTER_SECS = 1.0
MASK = "****"


class DialogueProcessor(FrameProcessor):
    def __init__(
        self,
        engine: DialogueEngine,
        call: CallInfo,
        store: CallStore,
        webhooks: WebhookClient | None = None,
        understander: LLMUnderstander | None = None,
        phraser: Phraser | None = None,
        answerer: GroundedAnswerer | None = None,
    ) -> None:
        super().__init__(name="DialogueProcessor")
        self._understander = understander
        self._phraser = phraser
        self._answerer = answerer
        self._engine = engine
        self._webhooks = webhooks or WebhookClient()
        self._tts_style: str | None = None
        # The caller's emotion: words, the voice of the turn, and how the call is going.
        self._tracker = EmotionTracker()
        self._voice: VoiceFeatures | None = None
        self._barged_in = self._pressed_zero = False
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
        # Transfers (voicebot.transfer): routed when the engine asks, carried out once the
        # transfer's own words have played.
        self._transfers: CallTransfers | None = None
        self._apologies: Apologies | None = None
        self._prepared: PreparedTransfer | None = None

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
        elif isinstance(frame, VoiceFeaturesFrame):
            self._voice = frame.features  # the latest turn's; read with its transcript
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
        estimate = self._feel(frame.text)
        turn["emotion"] = estimate.label
        turn["emotion_intensity"] = round(estimate.intensity, 2)
        heard = Utterance(
            text=frame.text,
            confidence=confidence,
            emotion=Estimate(estimate.label, estimate.intensity, estimate.score, estimate.crisis),
        )
        utterance = await self._understood(heard)
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
        expect = self._engine.expectation()
        got = await self._understander.understand(utterance.text, expect, self._engine.today)
        if got is None:
            return utterance
        return replace(utterance, intent=got.intent, slot_text=got.slot_text)

    def _feel(self, text: str) -> EmotionEstimate:
        """This turn's emotion from its words, voice and the call's behaviour so far."""
        last = self._engine.last_turn
        signals = TurnSignals(
            no_match=last is not None and last.outcome == "no_match",
            no_input=last is not None and last.outcome == "no_input",
            pressed_zero=self._pressed_zero,
            barged_in=self._barged_in,
        )
        estimate = self._tracker.observe(text, self._voice, signals)
        self._voice, self._barged_in, self._pressed_zero = None, False, False
        return estimate

    async def _on_dtmf(self, digit: str) -> None:
        self._pressed_zero = self._pressed_zero or digit == "0"
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
        self._barged_in = True
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
            elif isinstance(action, AskKnowledge):
                self._expect = None
                self.create_task(self._run_answer(action))
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
                if self._transfers is not None:
                    self._prepared = self._transfers.prepare(action)
            elif isinstance(action, EndCall):
                self._ending = action.reason
        if isinstance(event, HangUp):
            self._ending = event.reason
            return actions
        fault_apology = self._fault_apology()
        for say in says if fault_apology is None else []:
            await self._set_style(say.style)
            await self._speak(say)
        if fault_apology is not None and says:
            await self._play(fault_apology)
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

    async def _run_answer(self, action: AskKnowledge) -> None:
        node = self._engine.node
        started = time.perf_counter()
        if self._answerer is None:  # no LLM: the best entry's own approved words
            best = action.entries[0]
            answer = Answered(best.answer, best.id, "entry")
        else:
            worded = await self._answerer.answer_from(action.question, action.entries)
            answer = Answered(worded.text, worded.entry_id, worded.source)
        ms = round((time.perf_counter() - started) * 1000)
        await self._handle(answer)
        # After the answer is said: where the question led (replay checks the turn's node).
        self._store.add_event(
            self._call.call_sid,
            "answered",
            node=node,
            entry_id=answer.entry_id,
            source=answer.source,
            ms=ms,
            next_node=self._engine.node,
        )

    async def _speak(self, say: Say) -> None:
        """Speak a reply; for an upset caller the LLM may rephrase it (sentence by sentence,
        every fact kept, else the flow's words). Private replies never go to the model."""
        if self._phraser is None or say.private or say.style == "neutral":
            await self.push_frame(TTSSpeakFrame(text=say.text))
            return
        outcome: list[Phrased] = []
        # Slot values the template repeats must survive word for word (numbers always do).
        lowered = say.text.lower()
        values = [v for v in self._engine.masked_slots().values() if v and v.lower() in lowered]
        async for sentence in self._phraser.stream(
            say.text, emotion=say.style, values=values, outcome=outcome
        ):
            await self.push_frame(TTSSpeakFrame(text=sentence))
        if outcome and not outcome[0].used_template:
            self._store.add_event(self._call.call_sid, "bot_rephrased", text=outcome[0].text)

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
        if self._prepared is not None:  # the transfer's words have played: move the call now
            prepared, self._prepared = self._prepared, None
            self.create_task(self._carry_out(prepared))
            return
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

    # -- transfers ----------------------------------------------------------------------------

    def use_transfers(self, transfers: CallTransfers, apologies: Apologies | None) -> None:
        """Carry out the engine's transfers with `transfers`; `apologies` are pre-synthesised."""
        self._transfers = transfers
        self._apologies = apologies

    def _fault_apology(self) -> bytes | None:
        """On a backend-fault transfer the apology is played from audio made at start-up:
        the TTS may be the very thing that failed."""
        if self._prepared is None or self._apologies is None:
            return None
        return (
            self._apologies.fault
            if self._prepared.packet.reason.startswith("backend_fault")
            else None
        )

    async def _play(self, pcm: bytes) -> None:
        assert self._apologies is not None
        rate = self._apologies.sample_rate
        chunk = rate // 50 * 2  # 20 ms
        for start in range(0, len(pcm), chunk):
            frame = OutputAudioRawFrame(
                audio=pcm[start : start + chunk], sample_rate=rate, num_channels=1
            )
            await self.push_frame(frame)

    async def _carry_out(self, prepared: PreparedTransfer) -> None:
        """Move the call to its queue. A slow REST update is filled with "please hold"; a failed
        one gets the apology, then the stream closes and `/twilio/after-stream` queues the
        caller with the stored TwiML: never dropped silently."""
        assert self._transfers is not None
        if self.hangup_seen or not self._transfers.uses_rest:
            await self._transfers.carry_out(prepared)
            await self._end_pipeline()
            return
        task = asyncio.ensure_future(self._transfers.carry_out(prepared))
        wait = TRANSFER_HOLD_AFTER_SECS
        while not task.done():
            await asyncio.wait({task}, timeout=wait)
            if not task.done() and self._apologies is not None:
                self._store.add_event(self._call.call_sid, "transfer_hold")
                await self._play(self._apologies.hold)
                wait = len(self._apologies.hold) / 2 / self._apologies.sample_rate + 0.5
        if task.result() or self._apologies is None:
            await self._end_pipeline()
            return
        await self._play(self._apologies.failed)
        name = f"say-{next(self._marks)}"
        self._pending_marks.add(name)
        await self.push_frame(
            OutputTransportMessageFrame(message=mark_message(self._call.stream_sid, name))
        )  # its echo ends the pipeline (`_on_mark`)

    async def _end_after(self, secs: float) -> None:
        await asyncio.sleep(secs)
        logger.bind(call_sid=self._call.call_sid).warning("last mark never echoed; ending call")
        await self._end_pipeline()
