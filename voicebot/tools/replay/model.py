"""The scenario file format (YAML in `audio_fixtures/scenarios/`), as pydantic models.

A scenario is one phone call: which flow, who calls, the caller's turns in order, and what is
expected after each turn and of the whole call. Unknown keys are errors, so a typo in an
expectation can never make a scenario pass by checking nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voicebot.exceptions import VoicebotError

SCHEMA_FILE = Path("audio_fixtures") / "scenario.schema.json"


class ScenarioError(VoicebotError):
    """A scenario file that cannot be loaded (bad YAML, unknown keys, wrong types)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Caller(_Model):
    number: str = "+15005550006"
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Custom stream parameters, as Twilio's <Parameter>."
    )


class TurnExpect(_Model):
    """What must be true once the bot has answered this turn."""

    transcript: str | None = Field(None, description="Exact transcript the recogniser heard.")
    max_wer: float | None = Field(
        None, ge=0, le=1, description="With `transcript`: pass if word error rate ≤ this."
    )
    intent: str | None = None
    slots: dict[str, str] | None = Field(
        None, description="Slot values after the turn (only those named are checked)."
    )
    node: str | None = Field(None, description="The node the call is in after the turn.")
    bot_says: str | None = Field(None, description="Text the bot's reply contains.")
    bot_says_regex: str | None = Field(None, description="Regex the bot's reply matches.")
    emotion: str | None = Field(None, description="Emotion label the bot detected (issue 4).")
    no_input: bool | None = Field(
        None, description="Whether the bot's no-input timer fired during this turn."
    )
    barge_in: bool | None = Field(None, description="Whether the bot recorded a barge-in.")


class Turn(_Model):
    """One caller turn: exactly one of audio, say, keys, silence, hang_up or capture."""

    audio: str | None = Field(
        None,
        description="Recording to speak: WAV/FLAC/MP3 at any rate, or .ulaw/.raw Twilio μ-law; "
        "relative to the scenario file, or $REAL_SPEECH/… for the shared human recordings.",
    )
    say: str | None = Field(None, description="Text to synthesise with espeak-ng and speak.")
    voice: str = Field("en-us", description="espeak-ng voice for `say`.")
    rate: int = Field(160, ge=80, le=450, description="Words per minute for `say`.")
    noise: float = Field(
        0.0, ge=0, le=0.5, description="White noise RMS (fraction of full scale) added to `say`."
    )
    keys: str | None = Field(None, pattern=r"^[0-9*#]+$", description="Keypad digits to press.")
    silence: float | None = Field(
        None, gt=0, le=120, description="Say nothing for this many seconds of call time."
    )
    barge_in_ms: int | None = Field(
        None, ge=0, description="Start speaking this far into the bot's prompt, over it."
    )
    hang_up: bool = Field(
        False, description="Hang up; with audio/say, after `after_ms` of that speech."
    )
    after_ms: int = Field(500, ge=20, description="With hang_up and speech: speech sent first.")
    capture: str | None = Field(
        None, description="A capture file (`serve --record-fixtures`): exact frames to send."
    )
    masked_keys: str | None = Field(
        None,
        pattern=r"^[0-9*#]+$",
        description="With `capture`: keys pressed where the capture masked keyed input (a "
        "PIN), one per masked key; a test value for the backend, e.g. 1111.",
    )
    expect: TurnExpect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        speech = self.audio is not None or self.say is not None
        if self.audio is not None and self.say is not None:
            raise ValueError("a turn has either `audio` or `say`, not both")
        actions = [
            name
            for name, used in (
                ("audio/say", speech and not self.hang_up),
                ("keys", self.keys is not None),
                ("silence", self.silence is not None),
                ("hang_up", self.hang_up),
                ("capture", self.capture is not None),
            )
            if used
        ]
        if len(actions) != 1:
            raise ValueError(
                "a turn needs exactly one of audio, say, keys, silence, hang_up or capture"
                + (f" (got {', '.join(actions)})" if actions else "")
            )
        if self.barge_in_ms is not None and not speech:
            raise ValueError("`barge_in_ms` needs `audio` or `say`")
        if self.masked_keys is not None and self.capture is None:
            raise ValueError("`masked_keys` goes with `capture`")
        return self

    @property
    def kind(self) -> str:
        if self.hang_up:
            return "hang_up"
        if self.keys is not None:
            return "keys"
        if self.silence is not None:
            return "silence"
        if self.capture is not None:
            return "capture"
        return "barge_in" if self.barge_in_ms is not None else "speak"


class CallExpect(_Model):
    """What must be true of the whole call."""

    outcome: Literal["completed", "transferred", "hung_up"] | None = None
    queue: str | None = None
    handoff: dict[str, Any] | None = Field(
        default=None, description="Fields the transfer's handoff must carry (issue 5)."
    )
    max_latency_ms: float | None = Field(
        default=None,
        gt=0,
        description="Slowest response allowed (checked at --speed realtime only).",
    )
    slots: dict[str, str] | None = Field(
        default=None, description="Slot values at the end of the call."
    )


class Scenario(_Model):
    name: str | None = Field(None, description="Defaults to the file name without .yaml.")
    description: str = ""
    flow: str
    caller: Caller = Field(default_factory=Caller)
    greeting: TurnExpect | None = Field(None, description="Expectations of the bot's greeting.")
    turns: list[Turn] = Field(min_length=1)
    expect: CallExpect = Field(default_factory=lambda: CallExpect())


class LoadedScenario(BaseModel):
    """A scenario with where it came from (paths in it are relative to `path`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    path: Path
    name: str
    scenario: Scenario


def load_scenario(path: Path) -> LoadedScenario:
    """Parse and validate one scenario file; raise ScenarioError with every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping (flow, turns, expect)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top)"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"{where}: {message}")
        raise ScenarioError(f"{path}: " + "; ".join(problems)) from None
    return LoadedScenario(path=path, name=scenario.name or path.stem, scenario=scenario)


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario files named directly or found (sorted) in the folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.yaml") if p.is_file()))
            found.extend(sorted(p for p in path.glob("*.yml") if p.is_file()))
        else:
            found.append(path)
    return found


def scenario_schema_json() -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Scenario.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
