"""A scripted call: what the simulated caller does, turn by turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Speak:
    """Say a recorded utterance (any WAV; sent as 8 kHz μ-law) once the bot has finished."""

    wav: Path | None
    label: str = ""
    frames: tuple[bytes, ...] | None = None
    """μ-law frames to send instead of reading `wav` (synthesised or pre-loaded audio)."""


@dataclass(frozen=True)
class Keys:
    """Press keypad keys once the bot has finished."""

    digits: str
    gap_ms: int = 120


@dataclass(frozen=True)
class Silence:
    """Say nothing for this many seconds of the caller's audio clock (wall time ÷ speed)."""

    secs: float


@dataclass(frozen=True)
class BargeIn:
    """Start speaking `after_ms` into the bot's next prompt, talking over it."""

    wav: Path | None
    after_ms: int = 400
    label: str = ""
    frames: tuple[bytes, ...] | None = None


@dataclass(frozen=True)
class HangUp:
    """Send Twilio's `stop` and close, as when the caller puts the phone down; with
    `mid_utterance`, first say the opening `after_ms` of that recording."""

    mid_utterance: Path | None = None
    after_ms: int = 500
    frames: tuple[bytes, ...] | None = None
    """With `frames`, the opening `after_ms` of these are said before hanging up."""


@dataclass(frozen=True)
class RawFrames:
    """Send these websocket frames exactly as given (captures, broken ones included)."""

    frames: tuple[str | bytes, ...]


@dataclass(frozen=True)
class DropSocket:
    """Close the websocket without `stop`, as when the network drops."""


Turn = Speak | Keys | Silence | BargeIn | HangUp | DropSocket | RawFrames


@dataclass(frozen=True)
class Scenario:
    name: str
    turns: tuple[Turn, ...]
    caller: str = "+15005550006"
    parameters: dict[str, str] = field(default_factory=dict)
    before_start: tuple[str | bytes, ...] = ()
    """Frames sent between `connected` and `start` (to test a server's patience)."""
