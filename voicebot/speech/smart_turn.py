"""Smart Turn v3.2 (pipecat's offline end-of-turn model) as a second opinion on a caller's pause.

When the caller goes quiet, the VAD waits a fixed silence before it ends the turn. At the
point where it announces the pause (`speech.early_decode.pause_secs`), `TurnVADProcessor`
asks Smart Turn whether the turn's audio so far sounds finished: the model hears intonation
and the words' shape, so "check my balance." sounds complete and "I'd like to…" does not.
A complete verdict ends the turn at once (not at a dictation wait: digit groups sound
finished one by one); an incomplete one holds it for a longer pause (`HOLD_SECS`) so the
caller is not cut off. Until the verdict arrives the fixed wait runs on, so a slow or loaded
machine falls back to it. Off by default (`VOICEBOT_SMART_TURN`): `docs/turn_taking.md`
has the figures.

The model and its features are pipecat's (`LocalSmartTurnAnalyzerV3`, the ONNX file in its
wheel): we only resample to its 16 kHz and run it off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from voicebot.audio.codec import resample
from voicebot.exceptions import ConfigError, SpeechError

logger = logging.getLogger(__name__)

MODEL_RATE = 16000
"""Smart Turn hears 16 kHz audio (the last 8 s of it)."""
MAX_AUDIO_SECS = 8.0
COMPLETE_PROBABILITY = 0.5
"""At or above this the turn sounds finished and ends at once (the model's own cut-off)."""
HOLD_SECS = 1.0
"""How long a pause that sounds unfinished is waited out before the turn ends anyway: callers
pause 0.4-0.7 s mid-sentence ("I'd like to… check my balance")."""
PRE_SPEECH_SECS = 0.5
"""Audio kept from before the VAD saw speech begin (pipecat's pre_speech_ms)."""


class SmartTurn:
    """One loaded Smart Turn model, shared by every call of the process. Inference runs on
    its own threads (`workers`), one ONNX thread each."""

    def __init__(self, model_path: Path | None = None, *, workers: int = 1) -> None:
        """`model_path`: an ONNX file; None takes the one in pipecat's wheel. Raises
        `SpeechError` naming the file when it cannot be loaded."""
        try:
            from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import (
                LocalSmartTurnAnalyzerV3,
            )

            path = str(model_path) if model_path is not None else None
            self._analyzer = LocalSmartTurnAnalyzerV3(
                smart_turn_model_path=path, cpu_count=1, sample_rate=MODEL_RATE
            )
        except Exception as exc:  # onnxruntime raises its own types for bad files
            where = model_path or "pipecat's bundled smart-turn-v3.2-cpu.onnx"
            raise SpeechError(f"Smart Turn model {where} could not be loaded: {exc}") from exc
        self._analyzer.set_sample_rate(MODEL_RATE)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smart-turn")

    def probability(self, pcm16: bytes, sample_rate: int) -> float:
        """How likely the turn in `pcm16` (16-bit mono at `sample_rate`) is finished, 0-1."""
        pcm16 = resample(pcm16[-2 * int(MAX_AUDIO_SECS * sample_rate) :], sample_rate, MODEL_RATE)
        audio = np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0
        if not len(audio):
            raise SpeechError("Smart Turn was given no audio")
        try:
            result = self._analyzer._predict_endpoint(audio)
        except Exception as exc:
            raise SpeechError(f"Smart Turn inference failed: {exc}") from exc
        return float(result["probability"])

    async def probability_async(self, pcm16: bytes, sample_rate: int) -> float:
        """`probability`, on the model's threads: the event loop goes on with every call."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.probability, pcm16, sample_rate)

    def warm_up(self) -> None:
        """One inference on quiet, so the first caller's pause does not pay ONNX's set-up."""
        self.probability(bytes(2 * MODEL_RATE // 2), MODEL_RATE)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


_shared: dict[Path | None, SmartTurn] = {}
_lock = threading.Lock()


def shared_smart_turn(model_path: Path | None = None) -> SmartTurn:
    """The process's Smart Turn, loaded and warmed on first use. A Smart Turn that is switched
    on but cannot be loaded is refused in one line (ConfigError), as a missing speech model
    is: the server does not start without what it was told to use."""
    with _lock:
        if model_path not in _shared:
            try:
                model = SmartTurn(model_path)
                model.warm_up()
            except SpeechError as exc:
                raise ConfigError(
                    f"{exc} — fix: set VOICEBOT_SMART_TURN_MODEL to a Smart Turn v3 ONNX file "
                    "(or unset it for the one in pipecat's wheel), or VOICEBOT_SMART_TURN=false"
                ) from exc
            _shared[model_path] = model
        return _shared[model_path]


def smart_turn_for(enabled: bool, model_path: Path | None = None) -> SmartTurn | None:
    """What a call's VAD gets from the `smart_turn` / `smart_turn_model` settings: the shared
    model when enabled, else None (the fixed end-of-turn wait)."""
    return shared_smart_turn(model_path) if enabled else None
