"""Frames the speech services read: how the dialogue tells the recogniser what to expect."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import SystemFrame

from voicebot.dialogue.actions import Expectation


@dataclass
class ExpectationFrame(SystemFrame):
    """Pushed upstream by the dialogue processor whenever the node changes: the STT service
    compiles its grammar from `expect` for the next caller turn."""

    expect: Expectation


@dataclass
class SustainedSpeechFrame(SystemFrame):
    """Broadcast by the VAD once the caller's current turn holds `secs` of speech, pauses not
    counted: longer than a cough or a "mhmm", so the caller is saying something."""

    secs: float
