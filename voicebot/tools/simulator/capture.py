"""Replay a captured call (`serve --record-fixtures`): the exact inbound frames, on their clock.

Only the handshake is new (`connected`, and `start` with a fresh call SID so the server keeps
the original record); every later frame is sent verbatim at its captured time ÷ speed. A gap
marker (sensitive input left out of the capture) is sent as that many frames of silence and
that many key presses of a stand-in value; a `closed` line closes the stream as the caller did.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import websockets

from voicebot.tools.simulator.caller import FRAME_SECS, ULAW_SILENCE, CallResult
from voicebot.twilio.signature import HEADER, sign

KEY_GAP_SECS = 0.15
"""Between the stand-in keys of a masked entry."""


def read_capture(path: Path) -> list[dict[str, Any]]:
    """The capture's lines; ValueError naming the line when one is not a capture entry."""
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            raise ValueError(f"{path}:{number}: not JSON") from None
        kinds = {"frame", "gap", "closed"}
        if not isinstance(line, dict) or "t" not in line or not (kinds & set(line)):
            raise ValueError(f"{path}:{number}: expected {{t, frame}}, {{t, gap}} or {{t, closed}}")
        lines.append(line)
    return lines


def _caller_audio(line: dict[str, Any]) -> bool:
    """The line is only the caller's audio (a media frame, or a gap of them)."""
    if "gap" in line:
        return set(line["gap"]) <= {"media"}
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        return bool(json.loads(line["frame"]).get("event") == "media")
    return False


def _trailing(line: dict[str, Any]) -> bool:
    """Caller audio, or the caller ending the call: what may be cut short by the bot."""
    if line.get("closed") or _caller_audio(line):
        return True
    with contextlib.suppress(ValueError, AttributeError, TypeError, KeyError):
        return bool(json.loads(line["frame"]).get("event") == "stop")
    return False


def _stream_sid(lines: list[dict[str, Any]]) -> str:
    for line in lines:
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            sid = json.loads(line.get("frame", "")).get("streamSid")
            if sid:
                return str(sid)
    return "MZ" + uuid.uuid4().hex


async def replay_capture(
    url: str,
    lines: list[dict[str, Any]],
    *,
    call_sid: str,
    caller: str,
    parameters: dict[str, str],
    speed: float = 1.0,
    auth_token: str | None = None,
    reply_timeout: float = 10.0,
    masked_keys: str = "",
) -> CallResult:
    """Send the capture's frames; keys left out of it (a masked PIN) are keyed as `masked_keys`
    (the scenario's stand-in value, one digit per masked key; "1" for each key past it)."""
    result = CallResult(call_sid=call_sid)
    headers = {HEADER: sign(auth_token, url)} if auth_token else {}
    try:
        ws = await websockets.connect(
            url, additional_headers=headers, max_size=None, open_timeout=min(10.0, reply_timeout)
        )
    except Exception as exc:  # reported in the verdict, never raised into the run
        result.error = f"could not connect to {url}: {exc}"
        return result
    stream_sid = _stream_sid(lines)
    closed = asyncio.Event()
    # After the original call's last keypad press, mark echo or stop, only the caller's line
    # audio ran on until the server hung up; replayed, the server may hang up a little sooner
    # or the frames go a little later, and cutting that tail short is no fault.
    # The caller's own end (a stop, the stream closing) is no input either: a bot that ended
    # the call first is judged by the call's outcome (a hang-up capture expects `hung_up`).
    last_needed = max((i for i, line in enumerate(lines) if not _trailing(line)), default=-1)
    at = 0

    async def receive() -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("event") == "media":
                    payload = base64.b64decode(message["media"]["payload"])
                    result.bot_audio.append((len(result.caller_audio), payload))
        except websockets.ConnectionClosed:
            pass
        finally:
            result.ended_by = result.ended_by or "bot"
            closed.set()

    receiver = asyncio.create_task(receive())
    try:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "streamSid": stream_sid,
            "accountSid": "AC" + uuid.uuid4().hex,
            "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": {"caller": caller, **parameters},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await ws.send(json.dumps({"event": "start", "streamSid": stream_sid, "start": start}))
        began = time.monotonic()
        for at, line in enumerate(lines):
            wait = began + float(line["t"]) / speed - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if closed.is_set():
                if at <= last_needed:
                    result.error = "server closed the stream before the capture ended"
                break
            if line.get("closed"):  # the caller's side closed here: hung up, or the line dropped
                result.ended_by = result.ended_by or "caller"
                await ws.close()
                break
            if "gap" in line:
                for _ in range(int(line["gap"].get("dtmf", 0))):
                    dtmf = {"digit": masked_keys[0] if masked_keys else "1"}
                    masked_keys = masked_keys[1:]
                    await ws.send(
                        json.dumps({"event": "dtmf", "streamSid": stream_sid, "dtmf": dtmf})
                    )
                    await asyncio.sleep(KEY_GAP_SECS / speed)
                for _ in range(int(line["gap"].get("media", 0))):
                    media = {"payload": base64.b64encode(ULAW_SILENCE).decode("ascii")}
                    await ws.send(
                        json.dumps({"event": "media", "streamSid": stream_sid, "media": media})
                    )
                    result.caller_audio.append(ULAW_SILENCE)
                    await asyncio.sleep(FRAME_SECS / speed / 4)
                continue
            frame = line["frame"]
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                parsed = json.loads(frame)
                if parsed.get("event") == "media":
                    result.caller_audio.append(base64.b64decode(parsed["media"]["payload"]))
                elif parsed.get("event") == "stop":
                    result.ended_by = "caller"
            await ws.send(frame)
            if result.ended_by == "caller":  # Twilio closes the stream right after `stop`
                await ws.close()
                break
        else:
            try:
                await asyncio.wait_for(closed.wait(), timeout=reply_timeout * 2)
            except TimeoutError:
                result.error = "the server did not end the call after the capture ended"
    except websockets.ConnectionClosed:
        if result.ended_by != "caller" and at <= last_needed:
            result.error = "server closed the stream mid-call"
    finally:
        await ws.close()
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
    return result
