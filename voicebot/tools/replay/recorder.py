"""`voicebot serve --record-fixtures DIR`: each call becomes a replayable scenario.

For every call the server hands the recorder its websocket (through `AppContext`); the
recorder notes each inbound frame as it arrives, with its time. When the call ends it writes
`<call>.jsonl` (the frames, in order, timed from the first one, and a `closed` line when the
caller's side closed the stream: a hang-up or a dropped stream) and `<call>.yaml`, a scenario
with one `capture` turn and expectations taken from what happened (outcome, queue, slots,
the final node): a tester edits those into what *should* happen.

Sensitive input is never written: audio and keys that arrive while the call is in a node
whose slot is sensitive (the record shows those turns masked) become a gap marker, replayed
as silence and, for the keys, the scenario's `masked_keys` stand-in (`#` is kept as it was).
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

CLOSED = ""
"""Noted in place of a frame when the caller's side closed the websocket: the capture's
`{"t": …, "closed": true}` line, where a replay closes it too."""


class _TappedWebSocket:
    """The call's websocket, noting every inbound message for the recorder, and when the
    caller's side closed it first (a hang-up or a dropped stream, not the bot ending the call)."""

    def __init__(self, websocket: Any, frames: list[tuple[float, str]]) -> None:
        self._websocket = websocket
        self._frames = frames
        self._server_closed = False

    async def receive(self) -> Any:
        message = await self._websocket.receive()
        text = message.get("text")
        if text is None and message.get("bytes") is not None:
            text = message["bytes"].decode("utf-8", errors="replace")
        if text is not None:
            self._frames.append((time.time(), text))
        elif message.get("type") == "websocket.disconnect" and not self._server_closed:
            self._frames.append((time.time(), CLOSED))
        return message

    async def close(self, *args: Any, **kwargs: Any) -> Any:
        self._server_closed = True
        return await self._websocket.close(*args, **kwargs)

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
        redacted = redact(frames, windows, start, self.time_scale)
        lines = [json.dumps(line) for line in redacted]
        capture = self.folder / f"{name}.jsonl"
        capture.write_text("\n".join(lines) + "\n", encoding="utf-8")
        scenario = self.folder / f"{name}.yaml"
        masked = sum(line["gap"].get("dtmf", 0) for line in redacted if "gap" in line)
        scenario.write_text(scenario_text(call, record, capture.name, masked), encoding="utf-8")
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
        if text == CLOSED:
            out.append({"t": round((at - start) * time_scale, 4), "closed": True})
            continue
        secret = any(a <= at <= b for a, b in windows)
        event = _event(text)
        if event == "dtmf" and '"#"' in text:
            secret = False  # the end-of-entry key says nothing; replays need it where it was
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


def scenario_text(call: Any, record: dict[str, Any], capture: str, masked_keys: int = 0) -> str:
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
    if masked_keys:  # left out of the capture: a stand-in value (edit it to a test value)
        turn["masked_keys"] = "1" * masked_keys
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
