"""The adapter between pipecat frames and the pure dialogue engine, one per call.

Frames in (transcripts, keypad digits, VAD, Twilio marks) become engine events; the engine's
actions become frames out (speech, marks, the expectation the recogniser decodes against).
Each concern around that is a helper of its own: `call_recorder` (the call record),
`playout` (marks and timers), `caller_emotion`, `understanding_fallback` and `speaking` (the
LLM's two jobs), `transfer_step` (carrying a transfer out).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    StartFrame,
    TranscriptionFrame,
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
from voicebot.dialogue.matcher import IntentMatcher
from voicebot.llm.answers import GroundedAnswerer
from voicebot.llm.phrasing import Phraser
from voicebot.llm.understanding import LLMUnderstander
from voicebot.pipeline.apologies import Apologies
from voicebot.pipeline.barge_in import BargeIn
from voicebot.pipeline.call import CallInfo
from voicebot.pipeline.call_recorder import CallRecorder
from voicebot.pipeline.caller_emotion import CallerEmotion, for_engine
from voicebot.pipeline.playout import (
    END_OF_CALL_FALLBACK_SECS,
    INTER_DIGIT_TIMEOUT_SECS,
    Playout,
    Timer,
)
from voicebot.pipeline.recogniser_health import RecogniserHealth
from voicebot.pipeline.speaking import ReplySpeaker
from voicebot.pipeline.transfer_step import TransferStep
from voicebot.pipeline.understanding_fallback import (
    GrammarRecognizer,
    cross_checked,
    matched,
    understood,
)
from voicebot.pipeline.voice_features import VoiceFeaturesFrame
from voicebot.pipeline.webhook_client import WebhookClient
from voicebot.speech.frames import ExpectationFrame, SustainedSpeechFrame
from voicebot.storage.calls import CallStore
from voicebot.transfer.service import CallTransfers, PreparedTransfer
from voicebot.twilio.frames import CallStopFrame, MarkEchoFrame

T = TypeVar("T")


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
        matcher: IntentMatcher | None = None,
        grammar: GrammarRecognizer | None = None,
    ) -> None:
        super().__init__(name="DialogueProcessor")
        self._engine = engine
        self._call = call
        self._understander = understander
        self._matcher = matcher
        """Set when the STT is open-vocabulary (whisper): its transcripts go through it."""
        self._grammar = grammar
        """With the matcher: the node's grammar, which cross-checks a match it rejected."""
        self._answerer = answerer
        self._webhooks = webhooks or WebhookClient()
        self._record = CallRecorder(store, call.call_sid)
        self._emotion = CallerEmotion()
        self._recogniser = RecogniserHealth()
        self._speaker = ReplySpeaker(phraser, self._record, self.push_frame)
        self._playout = Playout(call.stream_sid)
        self._turns = BargeIn(self._barge_in, lambda: self._playout.playing and not self._ending)
        self._timer = Timer(self.create_task)
        self._end_fallback = Timer(self.create_task)
        self._expect: Expectation | None = None
        self._ending: str | None = None
        self.hangup_seen = False
        # Set by `use_transfers`: routed when the engine asks, carried out once the
        # transfer's own words have played.
        self._transfer: TransferStep | None = None

    def use_transfers(self, transfers: CallTransfers, apologies: Apologies | None) -> None:
        """Carry out the engine's transfers with `transfers`; `apologies` are pre-synthesised."""
        self._transfer = TransferStep(transfers, apologies, self._record, self.push_frame)

    @property
    def end_reason(self) -> str | None:
        return self._ending

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
            self._emotion.voice(frame.features)
        elif isinstance(frame, MarkEchoFrame):
            await self._on_mark(frame.mark)
        elif isinstance(frame, CallStopFrame):
            self.hangup_seen = True
            self._record.twilio_stop()
            await self._handle(HangUp("caller_hung_up"))
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._timer.cancel()
            self._turns.speech()
            await self.push_frame(frame, direction)
        elif isinstance(frame, SustainedSpeechFrame):
            await self._turns.sustained()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._record.caller_stopped_speaking()
            await self.push_frame(frame, direction)
        elif isinstance(frame, BotStartedSpeakingFrame):
            self._record.bot_started_speaking()
            await self.push_frame(frame, direction)
        elif isinstance(frame, (EndFrame, CancelFrame)):
            self._timer.cancel()
            self._end_fallback.cancel()
            await self.push_frame(frame, direction)
        else:
            await self.push_frame(frame, direction)

    async def backend_fault(self, stage: str, retryable: bool = False) -> None:
        """Called by the pipeline when a speech service fails: apologise and hand over."""
        if not self._ending:
            self._record.backend_fault(stage)
            await self._handle(BackendFault(stage=stage, retryable=retryable))

    async def _on_transcription(self, frame: TranscriptionFrame) -> None:
        result: Any = frame.result
        if self._recogniser.down_after(result):
            await self.backend_fault("stt")
            return
        if not await self._turns.caller_turn(frame.text):
            return  # a backchannel, a cough or noise over the bot: it goes on
        confidence = float(getattr(result, "confidence", 1.0 if frame.text else 0.0))
        stt_ms = getattr(result, "decode_ms", None)
        turn = self._record.speech_turn(frame.text, confidence, stt_ms, self._sensitive())
        estimate = self._emotion.feel(frame.text, self._engine.last_turn)
        turn["emotion"] = estimate.label
        turn["emotion_intensity"] = round(estimate.intensity, 2)
        heard = Utterance(text=frame.text, confidence=confidence, emotion=for_engine(estimate))
        heard = await matched(self._matcher, self._engine, heard)
        audio, rate = getattr(result, "audio", b""), getattr(result, "sample_rate", 0)
        heard = await self._held(cross_checked(self._grammar, self._engine, heard, audio, rate),
                                 "stt")  # fmt: skip
        if heard.match is not None:
            turn["match"] = {"intent": heard.match.candidate, "score": heard.match.score,
                             "evidence": heard.match.evidence}  # fmt: skip
        utterance = await self._held(understood(self._understander, self._engine, heard), "llm")
        if utterance.intent or utterance.slot_text:
            turn["understood_by"] = "llm"
        await self._handle(utterance, ("caller_said", turn))

    async def _on_dtmf(self, digit: str) -> None:
        self._emotion.keyed(digit)
        self._timer.cancel()
        if self._playout.playing and not self._ending:
            await self._turns.keyed()
        turn = self._record.key_turn(digit, self._sensitive())
        actions = await self._handle(DtmfDigit(digit=digit), ("caller_keyed", turn))
        if not actions and not self._ending:
            # Mid-way through keying a number: wait a little for the next key.
            self._timer.start(INTER_DIGIT_TIMEOUT_SECS, self._no_input)

    def _sensitive(self) -> bool:
        """The node listens for a sensitive slot: the turn is recorded masked."""
        return bool(self._expect and self._expect.slot and self._expect.slot.sensitive)

    async def _on_mark(self, name: str) -> None:
        await self._turns.heard(name)
        if not self._playout.echoed(name):
            return
        if self._ending:
            await self._end_pipeline()
        elif self._expect is not None:
            self._timer.start(self._expect.no_input_timeout, self._no_input)

    async def _barge_in(self, how: str) -> None:
        self._playout.interrupted()
        self._turns.interrupted()
        self._emotion.barged_in()
        self._record.barge_in(how, self._engine.node)
        await self.broadcast_interruption()

    async def _no_input(self) -> None:
        await self._handle(NoInput(), ("caller_silent", {}))

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
            self._record.turn(turn[0], node, self._engine, turn[1])
        self._record.entered(self._engine.entered)
        says: list[Say] = []
        for action in actions:
            if isinstance(action, Say):
                says.append(action)
                self._record.said(action)
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
                self._record.slot_set(action)
            elif isinstance(action, Transfer):
                self._ending = "transferred"
                self._record.transfer(action)
                if self._transfer is not None:
                    self._transfer.prepare(action, says)
            elif isinstance(action, EndCall):
                self._ending = action.reason
        if isinstance(event, HangUp):
            self._ending = event.reason
            return actions
        if self._transfer is not None and self._transfer.fault_pending:
            # The apology is in the transfer's TwiML: send it now, and stop what is playing
            # (a holding phrase, say) rather than let it play out before the stream closes.
            self._playout.interrupted()
            self._turns.interrupted()
            await self.broadcast_interruption()
            await self._end_pipeline()
            return actions
        await self._say(says)
        if says:
            await self.push_frame(self._turns.replied(self._playout.mark()))
        elif self._ending:
            await self._end_pipeline()
        if self._ending and not self._end_fallback.running:
            self._end_fallback.start(END_OF_CALL_FALLBACK_SECS, self._end_unheard)
        return actions

    async def _say(self, says: list[Say]) -> None:
        for say in says:
            await self._speaker.set_style(say.style)
            await self._speaker.speak(say, self._engine.masked_slots())
            if not say.interruptible:  # heard whole: no barge-in until this mark's echo
                await self.push_frame(self._turns.protect(self._playout.mark()))

    async def _held(self, awaitable: Awaitable[T], backend: str) -> T:
        """`awaitable`'s result; a wait past ~1 s is filled with the pre-synthesised "one
        moment" (recorded as `holding_phrase`), so a slow backend is never dead air."""
        task = asyncio.ensure_future(awaitable)
        if self._transfer is not None:  # the step that plays pre-synthesised audio
            node = self._engine.node
            await self._transfer.hold_while(task, lambda: self._record.backend_wait(node, backend))
        return await task

    async def _run_webhook(self, action: CallWebhook) -> None:
        node = self._engine.node
        result, elapsed = await self._held(self._webhooks.call(action), "webhook")
        self._record.webhook(node, result, elapsed)
        await self._handle(result)

    async def _run_answer(self, action: AskKnowledge) -> None:
        node = self._engine.node
        started = time.perf_counter()
        if self._answerer is None:  # no LLM: the best entry's own approved words
            best = action.entries[0]
            answer = Answered(best.answer, best.id, "entry")
        else:
            worded = await self._held(
                self._answerer.answer_from(action.question, action.entries), "llm"
            )
            answer = Answered(worded.text, worded.entry_id, worded.source)
        ms = round((time.perf_counter() - started) * 1000)
        await self._handle(answer)
        # After the answer is said: where the question led (replay checks the turn's node).
        self._record.answered(node, answer, ms, next_node=self._engine.node)

    # -- ending -------------------------------------------------------------------------------

    async def _end_pipeline(self) -> None:
        prepared = self._transfer.take() if self._transfer is not None else None
        if prepared is not None:  # the transfer's words have played: move the call now
            self.create_task(self._carry_out(prepared))
            return
        self._timer.cancel()
        await self.push_frame(EndWorkerFrame(), FrameDirection.UPSTREAM)

    async def _carry_out(self, prepared: PreparedTransfer) -> None:
        assert self._transfer is not None
        if await self._transfer.carry_out(prepared, self.hangup_seen):
            await self._end_pipeline()
        else:
            await self.push_frame(self._playout.mark())  # its echo ends the pipeline

    async def _end_unheard(self) -> None:
        logger.bind(call_sid=self._call.call_sid).warning("last mark never echoed; ending call")
        await self._end_pipeline()
