"""The peer bench/capacity.py compares voicebot with: a plain pipecat Twilio bot, built only from
pipecat's own pieces, as its examples build one.

pipecat's Twilio handshake parser, TwilioFrameSerializer and FastAPIWebsocketTransport, Silero
VAD, its WhisperSTTService and PiperTTSService on the same model files voicebot's stack uses,
and a one-node "dialogue": every caller turn is answered with the flow's first answer. A mark
follows each reply so the caller simulator knows when the bot has finished, as voicebot's
replies do.

pipecat's services load their model in their constructor, once per call (measured here:
~25 s per call on a busy 2-core machine, so every caller hung up first). To compare speech
handling rather than model loading, the peer loads each model once per process and every
call's service gets that copy (`_share_loaded_models`), as a pipecat user would arrange.

    python bench/pipecat_peer.py --port 8090 --whisper-model DIR --piper-voice FILE.onnx
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    Frame,
    OutputTransportMessageFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.services.piper.tts import PiperTTSService
from pipecat.services.whisper.stt import WhisperSTTService
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from pipecat.workers.runner import WorkerRunner

GREETING = "Thanks for calling Acme. How can I help?"
FIRST_ANSWER = "Please say or key in your eight digit account number."
"""The example flow's greeting and its first answer (the reply to 'check my balance')."""


class EchoFirstAnswer(FrameProcessor):
    """Greets, then answers every caller turn with the same sentence, then a mark."""

    def __init__(self, stream_sid: str) -> None:
        super().__init__()
        self._stream_sid = stream_sid
        self._marks = itertools.count(1)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self._say(GREETING)
        elif isinstance(frame, TranscriptionFrame):
            await self._say(FIRST_ANSWER)

    async def _say(self, text: str) -> None:
        await self.push_frame(TTSSpeakFrame(text=text))
        name = f"reply-{next(self._marks)}"
        mark = {"event": "mark", "streamSid": self._stream_sid, "mark": {"name": name}}
        await self.push_frame(OutputTransportMessageFrame(message=mark))


def _share_loaded_models() -> None:
    """Make pipecat's Whisper and Piper services reuse one loaded model per file."""
    import pipecat.services.piper.tts as piper_module
    import pipecat.services.whisper.stt as whisper_module

    whisper_cls = whisper_module.WhisperModel
    whisper_loaded: dict[tuple[Any, ...], Any] = {}

    def whisper_model(name: str, **kwargs: Any) -> Any:
        key = (name, *sorted(kwargs.items()))
        if key not in whisper_loaded:
            whisper_loaded[key] = whisper_cls(name, **kwargs)
        return whisper_loaded[key]

    piper_load = piper_module.PiperVoice.load
    piper_loaded: dict[tuple[Any, ...], Any] = {}

    def load_voice(path: Any, *args: Any, **kwargs: Any) -> Any:
        key = (str(path), *args, *sorted(kwargs.items()))
        if key not in piper_loaded:
            piper_loaded[key] = piper_load(path, *args, **kwargs)
        return piper_loaded[key]

    whisper_module.WhisperModel = whisper_model  # type: ignore[assignment,misc]
    piper_module.PiperVoice.load = load_voice  # type: ignore[method-assign,assignment]


def create_app(whisper_model: str, piper_voice: Path) -> FastAPI:
    _share_loaded_models()

    def services() -> tuple[WhisperSTTService, PiperTTSService]:
        stt = WhisperSTTService(
            # pipecat drops a segment whose no-speech probability is over 0.4: tiny.en gives the
            # demo's telephone "yes" 0.49 (heard as "Yeah."), so on the default the peer never
            # answers it. 0.6 is what a pipecat user would set after that; voicebot's own guard
            # drops a turn only at 0.8, or 0.6 with a low log-probability (whisper_guards).
            settings=WhisperSTTService.Settings(
                model=whisper_model, language="en", no_speech_prob=0.6
            ),
            device="cpu",
            compute_type="int8",
        )
        tts = PiperTTSService(
            settings=PiperTTSService.Settings(voice=piper_voice.stem),
            download_dir=piper_voice.parent,
        )
        return stt, tts

    services()  # load both models now, not on the first caller's time
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/twilio/stream")
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        _, call_data = await parse_telephony_websocket(websocket)
        serializer = TwilioFrameSerializer(
            call_data["stream_id"],
            call_data["call_id"],
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
        transport = FastAPIWebsocketTransport(
            websocket,
            FastAPIWebsocketParams(
                audio_in_enabled=True,
                audio_out_enabled=True,
                add_wav_header=False,
                serializer=serializer,
            ),
        )
        stt, tts = services()
        pipeline = Pipeline(
            [
                transport.input(),
                # voicebot's VAD timings (speech/webrtc_vad.py): Silero's defaults (confidence
                # 0.7) miss short telephone words ("yes") and split longer ones. And pipecat's
                # loudness gate is a smoothed level that a 0.3 s "yes" does not lift past its
                # default 0.6 in time (the demo's "yes" never started a turn; it does at 0.4).
                VADProcessor(
                    vad_analyzer=SileroVADAnalyzer(
                        params=VADParams(
                            confidence=0.5, start_secs=0.2, stop_secs=0.3, min_volume=0.4
                        )
                    )
                ),
                stt,
                EchoFirstAnswer(call_data["stream_id"]),
                tts,
                transport.output(),
            ]
        )
        worker = PipelineWorker(
            pipeline,
            # Whisper reads 16 kHz: pipecat's WhisperSTTService hands it the pipeline's input
            # rate as is, so 8 kHz would be heard at double speed ("check my balance" came
            # out as "Oh no!"); the Twilio serializer resamples the caller's 8 kHz up.
            params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000),
            enable_rtvi=False,
            idle_timeout_secs=None,
        )

        @transport.event_handler("on_client_disconnected")
        async def on_client_disconnected(_transport: Any, _ws: Any) -> None:
            await worker.cancel()

        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--whisper-model", required=True, help="faster-whisper model folder")
    parser.add_argument("--piper-voice", type=Path, required=True, help="piper voice .onnx")
    args = parser.parse_args()
    app = create_app(args.whisper_model, args.piper_voice)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
