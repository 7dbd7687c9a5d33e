"""Carrying out the engine's `Transfer` once its words have played: routed when the engine
asks, the call moved when the last mark echoes. A slow REST update is filled with "please
hold"; a failed one gets the apology, and `/twilio/after-stream` then queues the caller with
the stored TwiML: never dropped silently.

A backend fault does not wait for words: the transfer is sent the moment the fault is known,
and its TwiML begins with the apology (audio made at start-up, since the TTS may be what
failed, which Twilio plays as the stream ends). A REST update that has not gone through
within FAULT_REST_SECS is given up and the stream closed, so Twilio asks
`/twilio/after-stream` for the same TwiML."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pipecat.frames.frames import Frame, OutputAudioRawFrame

from voicebot.dialogue.actions import Say, Transfer
from voicebot.pipeline.apologies import Apologies
from voicebot.pipeline.call_recorder import CallRecorder
from voicebot.transfer.service import CallTransfers, PreparedTransfer

# A REST transfer slower than this gets the pre-synthesised "please hold" (no dead air > 2 s).
TRANSFER_HOLD_AFTER_SECS = 1.0
# A flow webhook slower than this gets "one moment while I look that up".
BACKEND_HOLD_AFTER_SECS = 1.0
# On a backend fault, the REST update's deadline before the stream is closed instead.
FAULT_REST_SECS = 1.0


class TransferStep:
    """One call's transfer: prepared from the engine's action, carried out after its words."""

    def __init__(
        self,
        transfers: CallTransfers,
        apologies: Apologies | None,
        recorder: CallRecorder,
        push: Callable[[Frame], Awaitable[None]],
    ) -> None:
        self._transfers = transfers
        self._apologies = apologies
        self._recorder = recorder
        self._push = push
        self._prepared: PreparedTransfer | None = None

    def prepare(self, action: Transfer, words: Sequence[Say]) -> None:
        """Route the transfer and store its hand-off now; it is carried out later. `words`:
        what the bot says first (a fault transfer's TwiML says them instead)."""
        self._prepared = self._transfers.prepare(action, words)

    def take(self) -> PreparedTransfer | None:
        """The transfer waiting to be carried out, if any (handed out once)."""
        prepared, self._prepared = self._prepared, None
        return prepared

    @property
    def fault_pending(self) -> bool:
        """A backend-fault transfer is prepared: carry it out now, its TwiML apologises."""
        return self._prepared is not None and self._prepared.fault

    async def play(self, pcm: bytes) -> None:
        """Push pre-synthesised audio straight to the transport, 20 ms per frame."""
        assert self._apologies is not None
        rate = self._apologies.sample_rate
        chunk = rate // 50 * 2  # 20 ms
        for start in range(0, len(pcm), chunk):
            frame = OutputAudioRawFrame(
                audio=pcm[start : start + chunk], sample_rate=rate, num_channels=1
            )
            await self._push(frame)

    async def hold_while(self, task: asyncio.Future[Any], on_hold: Callable[[], None]) -> None:
        """Wait for a backend's `task`; past BACKEND_HOLD_AFTER_SECS the caller hears the
        pre-synthesised "one moment" (once) instead of silence."""
        await asyncio.wait({task}, timeout=BACKEND_HOLD_AFTER_SECS)
        if not task.done() and self._apologies is not None and self._apologies.wait:
            on_hold()
            await self.play(self._apologies.wait)
        await asyncio.wait({task})

    async def carry_out(self, prepared: PreparedTransfer, hangup_seen: bool) -> bool:
        """Move the call to its queue. False: the REST update failed and the apology was
        played (the caller must hear it before the stream closes)."""
        if hangup_seen or not self._transfers.uses_rest:
            await self._transfers.carry_out(prepared)
            return True
        if prepared.fault:  # given up after FAULT_REST_SECS: after-stream has the same TwiML
            await self._transfers.carry_out(prepared, timeout=FAULT_REST_SECS)
            return True
        task = asyncio.ensure_future(self._transfers.carry_out(prepared))
        wait = TRANSFER_HOLD_AFTER_SECS
        while not task.done():
            await asyncio.wait({task}, timeout=wait)
            if not task.done() and self._apologies is not None:
                self._recorder.transfer_hold()
                await self.play(self._apologies.hold)
                wait = len(self._apologies.hold) / 2 / self._apologies.sample_rate + 0.5
        if task.result() or self._apologies is None:
            return True
        await self.play(self._apologies.failed)
        return False
