"""Measures the prosody of each caller turn (see `voicebot.emotion.voice`) between VAD and STT.

Placement: `speech.vad()` → `VoiceFeaturesProcessor()` → `speech.stt()`. It buffers the
caller's audio from `VADUserStartedSpeakingFrame` to `VADUserStoppedSpeakingFrame` (plus a
short pre-roll, since the VAD only declares a start after `start_secs` of speech) and, on the
stop, pushes one `VoiceFeaturesFrame` downstream *before* forwarding the stop frame.

Ordering: `VoiceFeaturesFrame` is a SystemFrame, so interruptions (barge-in) never drop it and
it overtakes queued data frames. The STT only starts decoding when the stop frame reaches it,
which is after this frame, so the dialogue processor always sees a turn's `VoiceFeaturesFrame`
before that turn's `TranscriptionFrame`; it should keep the latest one and hand it to the
tracker with the next transcript. When the recogniser holds an unfinished sentence over two
VAD segments, two frames arrive before one transcript: the later one (the end of the
sentence) is the one to use. `features` is None when the turn held too little voiced speech.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    SystemFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from voicebot.emotion import VoiceFeatures, voice_features

PRE_ROLL_S = 0.3  # > the VAD's start_secs (0.2): the turn's onset is kept
MAX_TURN_S = 30.0  # longer turns are measured on their last 30 s, bounding memory


@dataclass
class VoiceFeaturesFrame(SystemFrame):
    """The prosody of the caller turn that just ended (None: too little voiced speech)."""

    features: VoiceFeatures | None


class VoiceFeaturesProcessor(FrameProcessor):
    """Passes every frame through; adds one `VoiceFeaturesFrame` per caller turn."""

    def __init__(self) -> None:
        # Direct mode, as the VAD before it (speech.turn_vad): no queue hop per audio frame.
        super().__init__(name="VoiceFeaturesProcessor", enable_direct_mode=True)
        self._pre_roll: deque[bytes] = deque()
        self._pre_roll_bytes = 0
        self._turn: list[bytes] = []
        self._turn_bytes = 0
        self._speaking = False
        self._sample_rate = 8000

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is not FrameDirection.DOWNSTREAM:
            pass  # VAD frames broadcast upstream by later processors are not the caller's turn
        elif isinstance(frame, InputAudioRawFrame) and frame.num_channels == 1:
            self._sample_rate = frame.sample_rate
            self._buffer(frame.audio)
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._speaking = True
            self._turn = list(self._pre_roll)
            self._turn_bytes = self._pre_roll_bytes
        elif isinstance(frame, VADUserStoppedSpeakingFrame) and self._speaking:
            self._speaking = False
            pcm = b"".join(self._turn)
            self._turn, self._turn_bytes = [], 0
            # Off the event loop: the pitch analysis is CPU work on the whole turn.
            features = await asyncio.to_thread(voice_features, pcm, self._sample_rate)
            await self.push_frame(VoiceFeaturesFrame(features))
        await self.push_frame(frame, direction)

    def _buffer(self, audio: bytes) -> None:
        rate_bytes = self._sample_rate * 2
        if self._speaking:
            self._turn.append(audio)
            self._turn_bytes += len(audio)
            while self._turn_bytes > MAX_TURN_S * rate_bytes and len(self._turn) > 1:
                self._turn_bytes -= len(self._turn.pop(0))
        self._pre_roll.append(audio)
        self._pre_roll_bytes += len(audio)
        while self._pre_roll_bytes > PRE_ROLL_S * rate_bytes and len(self._pre_roll) > 1:
            self._pre_roll_bytes -= len(self._pre_roll.popleft())
