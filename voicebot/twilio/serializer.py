"""Twilio Media Streams ⇄ pipecat frames, tolerant of bad frames.

pipecat's TwilioFrameSerializer raises on bad base64 (which stops its transport reading the
call) and ignores `mark`/`stop`; this one drops and counts every bad frame and turns marks and
stops into frames the dialogue processor acts on.
"""

from __future__ import annotations

from collections import Counter

from loguru import logger
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.audio.utils import ulaw_to_pcm
from pipecat.frames.frames import Frame, InputAudioRawFrame, InputDTMFFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

from voicebot.exceptions import WireError
from voicebot.twilio import wire
from voicebot.twilio.frames import CallStopFrame, MarkEchoFrame


class BadFrameCounter:
    """Counts dropped frames by kind and logs each kind once per call."""

    def __init__(self, call_sid: str = "") -> None:
        self.call_sid = call_sid
        self.counts: Counter[str] = Counter()

    def add(self, error: WireError) -> None:
        self.counts[error.kind] += 1
        if self.counts[error.kind] == 1:
            # The frame itself may carry caller audio or digits: log only its kind.
            logger.bind(call_sid=self.call_sid, kind=error.kind).warning(
                f"dropped malformed Twilio frame ({error.kind}); further ones only counted"
            )


JOIN_MEDIA_FRAMES = 2
"""Twilio's 20 ms media frames enter the pipeline in pairs, as one 40 ms frame: every frame
costs pipecat the same queue hops and task wake-ups through the VAD, voice features and
recogniser whatever its length, and a call's caller audio was most of a worker's per-call CPU
(bench/capacity.py). The cost is at most 20 ms more before the VAD hears the end of a turn."""


class TwilioMediaStreamSerializer(TwilioFrameSerializer):
    """pipecat's Twilio serializer with strict parsing, bad-frame counting, marks and stop.

    Never hangs up the call itself: a call that was just transferred must stay up, and a
    finished call is ended by closing the stream (Twilio then asks `/twilio/after-stream`).
    Caller audio is passed on `join` media frames at a time; keypad digits, marks and stop are
    passed on at once (a digit may so overtake the last 20 ms of audio before it).
    """

    def __init__(
        self,
        stream_sid: str,
        call_sid: str,
        bad_frames: BadFrameCounter,
        join: int = JOIN_MEDIA_FRAMES,
    ) -> None:
        super().__init__(
            stream_sid,
            call_sid,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
        if join < 1:
            raise ValueError(f"join must be at least 1 media frame, not {join}")
        self.bad_frames = bad_frames
        self._join = join
        self._held: list[bytes] = []

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """The frame for one websocket message, or None; never raises, because pipecat's
        transport stops reading the call at the first exception from here."""
        try:
            return await self._frame_of(wire.parse_message(data))
        except WireError as error:
            self.bad_frames.add(error)
        except Exception as exc:  # a frame that parsed but could not be converted
            self.bad_frames.add(WireError("unconvertible", type(exc).__name__))
        return None

    async def _frame_of(self, message: wire.Message | None) -> Frame | None:
        if isinstance(message, wire.Media):
            if message.track not in ("inbound", "inbound_track") or not message.payload:
                return None
            pcm = await ulaw_to_pcm(
                message.payload, self._twilio_sample_rate, self._sample_rate, self._input_resampler
            )
            if not pcm:
                return None
            self._held.append(pcm)
            if len(self._held) < self._join:
                return None
            audio, self._held = b"".join(self._held), []
            return InputAudioRawFrame(audio=audio, num_channels=1, sample_rate=self._sample_rate)
        if isinstance(message, wire.Dtmf):
            return InputDTMFFrame(KeypadEntry(message.digit))
        if isinstance(message, wire.Mark):
            return MarkEchoFrame(mark=message.name)
        if isinstance(message, wire.Stop):
            return CallStopFrame()
        if isinstance(message, wire.Start):
            self.bad_frames.add(WireError("duplicate_start", "second start on one stream"))
        return None
