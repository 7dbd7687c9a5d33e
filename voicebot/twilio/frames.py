"""Frames the Twilio serializer adds to pipecat's: marks echoed back and the stream's `stop`."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import SystemFrame


@dataclass
class MarkEchoFrame(SystemFrame):
    """Twilio echoed one of our marks: the audio sent before it has played (or was cleared)."""

    mark: str


@dataclass
class CallStopFrame(SystemFrame):
    """Twilio sent `stop`: the caller hung up or the call left the stream."""
