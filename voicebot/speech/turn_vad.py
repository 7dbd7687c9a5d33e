"""The VAD stage of the pipeline: pipecat's VADProcessor, which also says when the caller's
turn has gone on long enough to be words rather than a cough or a backchannel, and waits
longer for the end of a turn where the node expects a dictated string (`turn_vad_params`),
and with Smart Turn ends a finished-sounding turn early and holds an unfinished one
(`speech.smart_turn`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pipecat.frames.frames import Frame, InputAudioRawFrame, VADUserStoppedSpeakingFrame
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection

from voicebot.exceptions import SpeechError
from voicebot.flows.slot_types import SlotType
from voicebot.speech.early_decode import (
    CallerPausedFrame,
    CallerResumedFrame,
    EndTurnFrame,
    pause_secs,
)
from voicebot.speech.frames import ExpectationFrame, SustainedSpeechFrame
from voicebot.speech.smart_turn import (
    COMPLETE_PROBABILITY,
    HOLD_SECS,
    MAX_AUDIO_SECS,
    PRE_SPEECH_SECS,
    SmartTurn,
)
from voicebot.speech.webrtc_vad import DICTATED, WebRTCVADAnalyzer, turn_vad_params

logger = logging.getLogger(__name__)

SUSTAINED_SPEECH_SECS = 0.8
"""Speech in one turn (pauses not counted) that is taken to be words, not a backchannel or a
cough. Measured on this VAD (`WebRTCVADAnalyzer.speech_secs`) for the fixtures as the call
simulator sends them: "mm hmm" 0.68 s, a 0.5 s cough 0.40; "check my balance" 0.94, "report an
outage" 1.14, "new card" 0.64, "you're useless" 0.60. Words shorter than this ("no" 0.46,
"agent" 0.44, "yes" 0.24) are not lost: their transcript decides (`pipeline.barge_in`)."""


class TurnVADProcessor(VADProcessor):
    """VAD frames as pipecat's VADProcessor sends them, plus one `SustainedSpeechFrame` per
    caller turn once it holds `sustained_secs` of speech. The `ExpectationFrame`s the
    recogniser passes upstream set the end-of-turn wait; `held` are the slot types whose pauses
    the recogniser waits out itself. With `early_decode`, it also announces the caller's
    pauses and ends a turn when the recogniser says its transcript is complete
    (`speech.early_decode`). With `smart_turn`, the model judges each pause at that same
    point: a turn that sounds finished ends then (except at a dictation wait), one that does
    not waits up to `HOLD_SECS` (`speech.smart_turn`).
    """

    def __init__(
        self,
        *,
        vad_analyzer: WebRTCVADAnalyzer,
        sustained_secs: float = SUSTAINED_SPEECH_SECS,
        held: frozenset[SlotType] = frozenset(),
        early_decode: bool = False,
        smart_turn: SmartTurn | None = None,
        **kwargs: Any,
    ) -> None:
        # Direct mode: each frame is handled in the task that pushed it (the input transport's)
        # instead of going through a queue and a task of this processor's own: the VAD's work
        # per 40 ms frame is small, and a queue hop per frame per call is CPU at scale.
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(vad_analyzer=vad_analyzer, **kwargs)
        self._analyzer = vad_analyzer
        self._held = held
        self._sustained_secs = sustained_secs
        self._announced = False
        self._early_decode = early_decode
        self._paused = False
        self._smart_turn = smart_turn
        self._pause = 0  # counts the pauses, so a late verdict is not applied to the next one
        self._audio = bytearray()  # the current turn's audio (with PRE_SPEECH_SECS before it)
        self._rate = 0
        self._judging: asyncio.Task[None] | None = None
        self._dictated = False  # the node expects a dictated string: Smart Turn only holds
        self.verdicts: list[float] = []
        """Smart Turn's probability for each pause it judged in this call, in order."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, ExpectationFrame):  # consumed: nothing upstream needs it
            params = turn_vad_params(frame.expect, self._held)
            slot = frame.expect.slot
            self._dictated = slot is not None and slot.type in DICTATED
            if params != self._analyzer.params:  # setting them restarts the VAD's count
                self._analyzer.set_params(params)
            return
        if isinstance(frame, EndTurnFrame):  # consumed: from the recogniser, for this VAD
            self._analyzer.end_turn_now()
            return
        await super().process_frame(frame, direction)
        if not isinstance(frame, InputAudioRawFrame):
            return
        heard = self._analyzer.speech_secs
        if self._smart_turn is not None:
            self._keep_audio(frame, heard)
        if heard == 0.0:
            self._announced = False
        elif heard >= self._sustained_secs and not self._announced:
            self._announced = True
            await self.broadcast_frame(SustainedSpeechFrame, secs=heard)
        if self._early_decode or self._smart_turn is not None:
            await self._announce_pause()

    async def broadcast_frame(self, frame_cls: type[Frame], **kwargs: Any) -> None:
        if frame_cls is VADUserStoppedSpeakingFrame and self._analyzer.ended_after_secs:
            # The quiet the turn really ended after (less than stop_secs when the recogniser
            # ended it early): the metrics date the caller's last speech from it.
            kwargs["stop_secs"] = self._analyzer.ended_after_secs
        await super().broadcast_frame(frame_cls, **kwargs)

    async def _announce_pause(self) -> None:
        """`CallerPausedFrame` part-way through the end-of-turn wait, `CallerResumedFrame`
        when the caller speaks again before the turn has ended."""
        quiet = self._analyzer.quiet_secs
        if quiet >= pause_secs(self._analyzer.params.stop_secs) and not self._paused:
            self._paused = True
            self._pause += 1
            if self._smart_turn is not None:
                self._judge_pause(self._smart_turn)
            if self._early_decode:
                await self.broadcast_frame(CallerPausedFrame, secs=quiet)
        elif quiet == 0.0 and self._paused:
            self._paused = False
            self._drop_verdict()
            if self._early_decode and self._analyzer.speech_secs > 0.0:  # speaking again
                await self.broadcast_frame(CallerResumedFrame)

    def _keep_audio(self, frame: InputAudioRawFrame, heard: float) -> None:
        """The turn's audio for Smart Turn: since PRE_SPEECH_SECS before the VAD's start,
        at most the model's last MAX_AUDIO_SECS."""
        self._rate = frame.sample_rate
        self._audio += frame.audio
        start = self._analyzer.params.start_secs
        keep = MAX_AUDIO_SECS if heard > 0.0 else PRE_SPEECH_SECS + start
        excess = len(self._audio) - 2 * int(keep * frame.sample_rate)
        if excess > 0:
            del self._audio[:excess]

    def _judge_pause(self, model: SmartTurn) -> None:
        """Ask Smart Turn about the turn so far, off the event loop. Until it answers the
        fixed wait runs on: a verdict that comes after the turn has ended changes nothing."""
        self._drop_verdict()
        audio, rate = bytes(self._audio), self._rate
        self._judging = self.create_task(self._verdict(model, self._pause, audio, rate))

    def _drop_verdict(self) -> None:
        """The caller went on or the turn ended: a verdict not yet started never runs."""
        if self._judging is not None and not self._judging.done():
            self._judging.cancel()
        self._judging = None

    async def _verdict(self, model: SmartTurn, pause: int, audio: bytes, rate: int) -> None:
        """End the turn if it sounds finished, hold the pause if not. On an error, back to
        the fixed wait for the rest of the call."""
        try:
            probability = await model.probability_async(audio, rate)
        except SpeechError as exc:
            logger.warning("%s; this call's turns end after the fixed silence", exc)
            self._smart_turn = None
            return
        self.verdicts.append(probability)
        if pause != self._pause or not self._paused:
            return  # the caller went on, or the turn is over
        if probability >= COMPLETE_PROBABILITY:
            if not self._dictated:  # a group of digits sounds finished: it may not be
                self._analyzer.end_turn_now()
        else:
            self._analyzer.hold_pause(HOLD_SECS)

    async def cleanup(self) -> None:
        self._drop_verdict()
        await super().cleanup()
