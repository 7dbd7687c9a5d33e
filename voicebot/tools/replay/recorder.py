"""`voicebot serve --record-fixtures DIR`: each call becomes a replayable scenario.

For every call the server hands the recorder its websocket (through `AppContext`); the
recorder notes each inbound frame as it arrives, with its time. When the call ends it writes
`<call>.jsonl` (the frames, in order, timed from the first one) and `<call>.yaml`, a scenario
with one `capture` turn and expectations taken from what happened (outcome, queue, slots,
the final node): a tester edits those into what *should* happen.

Sensitive input is never written: audio and keys that arrive while the call is in a node
whose slot is sensitive (the record shows those turns masked) become a gap marker, replayed
as silence with no keys.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import yaml
from loguru import logger

from voicebot.privacy import MASK


class _TappedWebSocket:
    """The call's websocket, noting every inbound message for the recorder."""

    def __init__(self, websocket: Any, frames: list[tuple[float, str]]) -> None:
        self._websocket = websocket
        self._frames = frames

    async def receive(self) -> Any:
        message = await self._websocket.receive()
        text = message.get("text")
        if text is None and message.get("bytes") is not None:
            text = message["bytes"].decode("utf-8", errors="replace")
        if text is not None:
            self._frames.append((time.time(), text))
        return message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)


class CallTap:
    def __init__(self, recorder: FixtureRecorder, call: Any) -> None:
        self.recorder = recorder
        self.call = call
        self.frames: list[tuple[float, str]] = []

    def wrap(self, websocket: Any) -> Any:
        return _TappedWebSocket(websocket, self.frames)

    def close(self, record: dict[str, Any] | None) -> None:
        try:
            self.recorder.write(self.call, self.frames, record or {})
        except OSError as exc:  # a full disk must not take the call path down with it
            logger.bind(call_sid=self.call.call_sid).warning(f"fixture not saved: {exc}")


class FixtureRecorder:
    def __init__(self, folder: Path, time_scale: float = 1.0) -> None:
        self.folder = folder
        # A server running compressed time (an in-process fast replay) records real-time
        # offsets, so a capture replays at the same pace whichever way it was made.
        self.time_scale = time_scale
        folder.mkdir(parents=True, exist_ok=True)

    def open(self, call: Any) -> CallTap:
        return CallTap(self, call)

    def write(self, call: Any, frames: list[tuple[float, str]], record: dict[str, Any]) -> Path:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", f"{call.flow}_{call.call_sid}")
        windows = sensitive_windows(record.get("events", []))
        start = frames[0][0] if frames else time.time()
        lines = [json.dumps(line) for line in redact(frames, windows, start, self.time_scale)]
        capture = self.folder / f"{name}.jsonl"
        capture.write_text("\n".join(lines) + "\n", encoding="utf-8")
        scenario = self.folder / f"{name}.yaml"
        scenario.write_text(scenario_text(call, record, capture.name), encoding="utf-8")
        logger.bind(call_sid=call.call_sid).info(f"call saved as fixture {scenario}")
        return scenario


def sensitive_windows(events: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Times during which the call sat in a node collecting a sensitive slot."""
    masked_nodes = {
        e["node"]
        for e in events
        if e["kind"] in ("caller_said", "caller_keyed")
        and MASK in (e.get("transcript"), e.get("digit"))
    }
    windows: list[tuple[float, float]] = []
    opened: float | None = None
    for event in events:
        if event["kind"] not in ("caller_said", "caller_keyed", "caller_silent"):
            continue
        if opened is None and event.get("next_node") in masked_nodes:
            opened = event["at"]
        elif opened is not None and event.get("next_node") not in masked_nodes:
            windows.append((opened, event["at"]))
            opened = None
    if opened is not None:
        windows.append((opened, float("inf")))
    return windows


def redact(
    frames: list[tuple[float, str]],
    windows: list[tuple[float, float]],
    start: float,
    time_scale: float = 1.0,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for at, text in frames:
        secret = any(a <= at <= b for a, b in windows)
        event = _event(text)
        if secret and event in ("media", "dtmf"):
            if out and "gap" in out[-1]:
                out[-1]["gap"][event] = out[-1]["gap"].get(event, 0) + 1
            else:
                out.append({"t": round((at - start) * time_scale, 4), "gap": {event: 1}})
            continue
        out.append({"t": round((at - start) * time_scale, 4), "frame": text})
    return out


def _event(text: str) -> str | None:
    try:
        value = json.loads(text).get("event")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def scenario_text(call: Any, record: dict[str, Any], capture: str) -> str:
    events = record.get("events", [])
    outcome = {"caller_hung_up": "hung_up", "caller_said_goodbye": "completed"}.get(
        str(record.get("end_reason")), record.get("end_reason")
    )
    expect: dict[str, Any] = {}
    if outcome in ("completed", "transferred", "hung_up"):
        expect["outcome"] = outcome
    transfers = [e for e in events if e["kind"] == "transfer"]
    if transfers:
        expect["queue"] = transfers[-1]["queue"]
    with_slots = [e["slots"] for e in events if isinstance(e.get("slots"), dict)]
    slots = {k: str(v) for k, v in (with_slots[-1] if with_slots else {}).items() if v != MASK}
    if slots:
        expect["slots"] = slots
    caller = [e for e in events if e["kind"] in ("caller_said", "caller_keyed", "caller_silent")]
    turn: dict[str, Any] = {"capture": capture}
    if caller and caller[-1].get("next_node"):
        turn["expect"] = {"node": caller[-1]["next_node"]}
    scenario = {
        "description": f"Captured from call {call.call_sid}; edit the expectations.",
        "flow": call.flow,
        "caller": {"number": record.get("caller") or "+15005550006"},
        "turns": [turn],
        "expect": expect,
    }
    what = ["# What happened (from the call record):"] + [f"#   {line}" for line in _story(events)]
    header = "# yaml-language-server: $schema=../scenario.schema.json\n"
    return header + "\n".join(what) + "\n" + yaml.safe_dump(scenario, sort_keys=False)


def _story(events: list[dict[str, Any]]) -> list[str]:
    lines = []
    for e in events:
        if e["kind"] == "bot_said":
            lines.append(f"bot: {e.get('text')}")
        elif e["kind"] == "caller_said":
            lines.append(f"caller said {e.get('transcript')!r} → {e.get('next_node')}")
        elif e["kind"] == "caller_keyed":
            lines.append(f"caller keyed {e.get('digit')} → {e.get('next_node')}")
        elif e["kind"] == "caller_silent":
            lines.append(f"caller silent → {e.get('next_node')}")
        elif e["kind"] == "transfer":
            lines.append(f"transfer to {e.get('queue')}")
    return lines
