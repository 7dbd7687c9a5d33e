"""A Twilio Media Streams client that plays a scenario against a voicebot server.

It speaks the protocol as Twilio does: `connected` and `start`, then a continuous 20 ms media
stream (silence between utterances), `dtmf`, mark echoes once the bot's audio before them has
"played" on the caller's clock, `clear` handling, and `stop`. Per turn it measures the response
latency: from the last frame of caller speech sent to the first bot audio frame received.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets

from voicebot.audio.codec import split_frames, to_telephone, ulaw_decode
from voicebot.audio.wavfile import read_wav, write_stereo_wav
from voicebot.tools.simulator.scenario import (
    BargeIn,
    DropSocket,
    HangUp,
    Keys,
    RawFrames,
    Scenario,
    Silence,
    Speak,
    Turn,
)
from voicebot.twilio.signature import HEADER, sign

FRAME_SECS = 0.02
ULAW_SILENCE = b"\xff" * 160
# The bot counts as finished once its audio has played and nothing new came for this long.
QUIET_SECS = 0.5


class SimulatorError(Exception):
    pass


@dataclass
class TurnResult:
    index: int
    kind: str
    label: str
    latency_ms: float | None = None
    """Last caller speech frame (or key) sent → first bot audio received."""
    barge_in_ms: float | None = None
    """Caller speech (audio time) before the bot's `clear` arrived."""


@dataclass
class CallResult:
    call_sid: str
    turns: list[TurnResult] = field(default_factory=list)
    ended_by: str = ""
    """"bot" when the server closed the stream, "caller" when the simulator hung up."""
    error: str | None = None
    clears: int = 0
    caller_audio: list[bytes] = field(default_factory=list)
    bot_audio: list[tuple[int, bytes]] = field(default_factory=list)
    bot_timeline: list[tuple[float, int]] = field(default_factory=list)
    """When each bot message arrived (time.monotonic()) and its audio bytes; 0 bytes marks the
    end of a reply (a `mark` or `clear`). Gaps within a reply are stalls the caller hears."""

    @property
    def latencies_ms(self) -> list[float]:
        return [t.latency_ms for t in self.turns if t.latency_ms is not None]

    def write_wav(self, path: str) -> None:
        """Caller on the left channel, bot on the right, on the caller's audio clock."""
        caller = ulaw_decode(b"".join(self.caller_audio))
        end = max([len(self.caller_audio)] + [p + len(a) // 160 for p, a in self.bot_audio])
        bot = bytearray(end * 160 * 2)
        for position, ulaw in self.bot_audio:
            pcm = ulaw_decode(ulaw)
            bot[position * 320 : position * 320 + len(pcm)] = pcm
        write_stereo_wav(path, caller, bytes(bot), 8000)


def load_utterance(path: Any) -> list[bytes]:
    pcm, rate = read_wav(path)
    return split_frames(to_telephone(pcm, rate))


def _frames_of(turn: Speak | BargeIn | HangUp) -> list[bytes]:
    if turn.frames is not None:
        return list(turn.frames)
    source = turn.mid_utterance if isinstance(turn, HangUp) else turn.wav
    if source is None:
        raise SimulatorError(f"{type(turn).__name__} has neither audio frames nor a file")
    return load_utterance(source)


class CallerSimulator:
    def __init__(
        self,
        url: str,
        *,
        auth_token: str | None = None,
        speed: float = 1.0,
        reply_timeout: float = 10.0,
        on_event: Callable[..., None] | None = None,
    ) -> None:
        self.url = url
        self.auth_token = auth_token
        self.speed = speed
        self.reply_timeout = reply_timeout
        self._on_event = on_event or (lambda kind, **data: None)

    async def run(self, scenario: Scenario, call_sid: str | None = None) -> CallResult:
        call = _Call(self, scenario, call_sid or "CA" + uuid.uuid4().hex)
        return await call.run()


class _Call:
    """The state of one simulated call: both directions of audio on the caller's clock."""

    def __init__(self, sim: CallerSimulator, scenario: Scenario, call_sid: str) -> None:
        self.sim = sim
        self.scenario = scenario
        self.result = CallResult(call_sid=call_sid)
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.outbox: deque[bytes] = deque()
        self.sent = 0  # caller frames sent: the caller's audio clock, in 20 ms frames
        self.bot_pos = 0  # where the bot's received audio ends on that clock
        self.pending_marks: deque[tuple[str, int]] = deque()
        self.last_bot_audio = 0.0
        # True while bot audio has arrived that no mark has followed yet: the bot sends a mark
        # after every batch of speech, so the bot is done only once this is False again.
        self.audio_unmarked = False
        self.reply = asyncio.Event()
        self.prompt_at = 0.0
        self.speech_done = asyncio.Event()
        self.speech_ended_at: float | None = None
        self.awaiting_reply: TurnResult | None = None
        self.barge_in: tuple[TurnResult, int] | None = None
        self.closed = asyncio.Event()
        self.seq = 0
        self._send_lock = asyncio.Lock()
        self.ws: Any = None

    # -- protocol ------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        self.seq += 1
        message = {"sequenceNumber": str(self.seq), **message}
        async with self._send_lock:
            await self.ws.send(json.dumps(message))

    async def run(self) -> CallResult:
        headers = {}
        if self.sim.auth_token:
            headers[HEADER] = sign(self.sim.auth_token, self.sim.url)
        try:
            self.ws = await websockets.connect(
                self.sim.url,
                additional_headers=headers,
                max_size=None,
                open_timeout=min(10.0, self.sim.reply_timeout),
            )
        except Exception as exc:  # the simulator reports, it does not crash the caller's run
            self.result.error = f"could not connect to {self.sim.url}: {exc}"
            return self.result
        account = "AC" + uuid.uuid4().hex
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        for frame in self.scenario.before_start:
            await self.ws.send(frame)
        await self._send(
            {
                "event": "start",
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "accountSid": account,
                    "callSid": self.result.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": {
                        "caller": self.scenario.caller,
                        **self.scenario.parameters,
                    },
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )
        sender = asyncio.create_task(self._send_media())
        receiver = asyncio.create_task(self._receive())
        try:
            await self._play()
        except SimulatorError as exc:
            self.result.error = str(exc)
        except websockets.ConnectionClosed:
            self.result.error = "server closed the stream mid-call"
        finally:
            if not self.closed.is_set():
                self.result.ended_by = self.result.ended_by or "caller"
                with contextlib.suppress(websockets.ConnectionClosed):
                    await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {}})
            await self.ws.close()
            for task in (sender, receiver):
                task.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)
        return self.result

    async def _send_media(self) -> None:
        next_at = time.monotonic()
        while not self.closed.is_set():
            speech = bool(self.outbox)
            frame = self.outbox.popleft() if speech else ULAW_SILENCE
            await self._send(
                {
                    "event": "media",
                    "streamSid": self.stream_sid,
                    "media": {
                        "track": "inbound",
                        "chunk": str(self.sent + 1),
                        "timestamp": str(self.sent * 20),
                        "payload": base64.b64encode(frame).decode("ascii"),
                    },
                }
            )
            self.result.caller_audio.append(frame)
            self.sent += 1
            if speech and not self.outbox:
                self.speech_ended_at = time.monotonic()
                self.speech_done.set()
            while self.pending_marks and self.pending_marks[0][1] <= self.sent:
                await self._echo_mark(self.pending_marks.popleft()[0])
            next_at += FRAME_SECS / self.sim.speed
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _echo_mark(self, name: str) -> None:
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def _receive(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                event = message.get("event")
                if event == "media":
                    self._on_bot_media(base64.b64decode(message["media"]["payload"]))
                elif event == "mark":
                    self.result.bot_timeline.append((time.monotonic(), 0))
                    self.audio_unmarked = False
                    self.pending_marks.append((message["mark"]["name"], self.bot_pos))
                elif event == "clear":
                    self.result.bot_timeline.append((time.monotonic(), 0))
                    await self._on_clear()
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.result.ended_by:
                self.result.ended_by = "bot"
            self.closed.set()

    def _on_bot_media(self, ulaw: bytes) -> None:
        now = time.monotonic()
        self.result.bot_timeline.append((now, len(ulaw)))
        position = max(self.bot_pos, self.sent)
        self.result.bot_audio.append((position, ulaw))
        self.bot_pos = position + max(1, len(ulaw) // 160)
        self.last_bot_audio = now
        self.audio_unmarked = True
        turn = self.awaiting_reply
        if not self.reply.is_set():
            self.prompt_at = now
        if turn is None:
            self.reply.set()
        elif self.speech_ended_at is not None:
            turn.latency_ms = round((now - self.speech_ended_at) * 1000, 1)
            self.awaiting_reply = None
            self.reply.set()
            self.sim._on_event("reply", turn=turn)

    async def _on_clear(self) -> None:
        self.result.clears += 1
        # Audio the caller had not heard yet is gone; Twilio echoes every pending mark.
        self.result.bot_audio = [(p, a) for p, a in self.result.bot_audio if p < self.sent]
        self.bot_pos = self.sent
        while self.pending_marks:
            await self._echo_mark(self.pending_marks.popleft()[0])
        if self.barge_in is not None:
            turn, started_at = self.barge_in
            turn.barge_in_ms = (self.sent - started_at) * FRAME_SECS * 1000
            self.barge_in = None

    # -- the scenario --------------------------------------------------------------------------

    async def _play(self) -> None:
        turns = self.scenario.turns
        # Before a barge-in, wait only for the bot's prompt to start, not to finish.
        await self._wait_for_bot(expect_reply=True, finish=not _barges_in(turns, 0))
        for index, turn in enumerate(turns):
            if self.closed.is_set():
                raise SimulatorError(f"server ended the call before turn {index + 1}")
            result = TurnResult(index=index, kind=type(turn).__name__, label=_label(turn))
            self.result.turns.append(result)
            self.sim._on_event("turn", turn=result)
            await self._do(turn, result, finish=not _barges_in(turns, index + 1))
            if isinstance(turn, HangUp | DropSocket):
                return
        # The scenario is over: a finished call is ended by the bot.
        try:
            await asyncio.wait_for(self.closed.wait(), timeout=self.sim.reply_timeout * 2)
        except TimeoutError:
            raise SimulatorError("the bot did not end the call after the last turn") from None

    async def _do(self, turn: Turn, result: TurnResult, finish: bool) -> None:
        if isinstance(turn, Speak):
            await self._speak(_frames_of(turn), result)
            await self._wait_for_bot(expect_reply=True, finish=finish)
        elif isinstance(turn, Keys):
            self._expect_reply(result)
            for i, digit in enumerate(turn.digits):
                if i:
                    await asyncio.sleep(turn.gap_ms / 1000 / self.sim.speed)
                if i == len(turn.digits) - 1:
                    self.speech_ended_at = time.monotonic()
                await self._send(
                    {
                        "event": "dtmf",
                        "streamSid": self.stream_sid,
                        "dtmf": {"track": "inbound_track", "digit": digit},
                    }
                )
            await self._wait_for_bot(expect_reply=True, finish=finish)
        elif isinstance(turn, Silence):
            await asyncio.sleep(turn.secs / self.sim.speed)
            await self._wait_for_bot(expect_reply=False, finish=finish)
        elif isinstance(turn, BargeIn):
            frames = _frames_of(turn)
            # The prompt started at `prompt_at` (the previous turn waited for that only).
            wait = self.prompt_at + turn.after_ms / 1000 / self.sim.speed - time.monotonic()
            await asyncio.sleep(max(0.0, wait))
            self.barge_in = (result, self.sent)
            await self._speak(frames, result)
            await self._wait_for_bot(expect_reply=True, finish=finish)
        elif isinstance(turn, RawFrames):
            async with self._send_lock:
                for frame in turn.frames:
                    await self.ws.send(frame)
        elif isinstance(turn, HangUp):
            if turn.mid_utterance is not None or turn.frames is not None:
                frames = _frames_of(turn)
                self.speech_done.clear()
                self.outbox.extend(frames[: max(1, turn.after_ms // 20)])
                await self._wait_event(self.speech_done, "caller audio was never sent")
            await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {}})
            self.result.ended_by = "caller"
            await self.ws.close()
        elif isinstance(turn, DropSocket):
            self.result.ended_by = "caller"
            await self.ws.close()

    def _expect_reply(self, result: TurnResult) -> None:
        self.reply.clear()
        self.speech_ended_at = None
        self.awaiting_reply = result

    async def _speak(self, frames: list[bytes], result: TurnResult) -> None:
        self.speech_done.clear()
        self._expect_reply(result)
        self.outbox.extend(frames)
        await self._wait_event(self.speech_done, "caller audio was never sent")

    async def _wait_event(self, event: asyncio.Event, what: str) -> None:
        closed = asyncio.ensure_future(self.closed.wait())
        waiter = asyncio.ensure_future(event.wait())
        done, _ = await asyncio.wait(
            {closed, waiter}, timeout=self.sim.reply_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        closed.cancel()
        waiter.cancel()
        if not done:
            raise SimulatorError(f"timed out: {what}")
        if waiter not in done:
            raise SimulatorError(f"server closed the stream: {what}")

    async def _wait_for_bot(self, expect_reply: bool, finish: bool = True) -> None:
        """Wait until the bot has answered (if expected) and, if `finish`, stopped speaking."""
        if expect_reply:
            await self._wait_event(self.reply, "no reply from the bot")
        if not finish:
            return
        deadline = time.monotonic() + self.sim.reply_timeout * 3
        while not self.closed.is_set():
            played = (
                self.bot_pos <= self.sent and not self.pending_marks and not self.audio_unmarked
            )
            quiet = time.monotonic() - self.last_bot_audio >= QUIET_SECS / self.sim.speed
            if played and quiet:
                return
            if time.monotonic() > deadline:
                raise SimulatorError("the bot kept talking")
            await asyncio.sleep(0.01)


def _barges_in(turns: tuple[Turn, ...], index: int) -> bool:
    return index < len(turns) and isinstance(turns[index], BargeIn)


def _label(turn: Turn) -> str:
    if isinstance(turn, Speak | BargeIn):
        return turn.label or (turn.wav.stem if turn.wav else "speech")
    if isinstance(turn, Keys):
        return "keys"
    if isinstance(turn, Silence):
        return f"{turn.secs:g}s silence"
    return type(turn).__name__.lower()
