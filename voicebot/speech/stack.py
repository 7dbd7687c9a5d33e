"""The embedded speech stack: models loaded once per process, services made once per call."""

from __future__ import annotations

from collections.abc import Mapping

from pipecat.processors.audio.vad_processor import VADProcessor

from voicebot.speech.espeak_tts import EspeakTTSService
from voicebot.speech.pocketsphinx_stt import PocketsphinxSTTService
from voicebot.speech.recognizer import PocketsphinxRecognizer
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer, telephone_vad_params


class EmbeddedSpeechStack:
    """webrtcvad + pocketsphinx + espeak-ng: works right after `pip install`, no downloads."""

    def __init__(self, *, tts_voice: str = "en-us") -> None:
        # Loading the acoustic model takes a while; every call shares this one.
        self.recognizer = PocketsphinxRecognizer()
        self.recognizer.warm_up()
        self.tts_voice = tts_voice

    def vad(self) -> VADProcessor:
        return VADProcessor(vad_analyzer=WebRTCVADAnalyzer(params=telephone_vad_params()))

    def stt(self) -> PocketsphinxSTTService:
        return PocketsphinxSTTService(recognizer=self.recognizer)

    def tts(
        self, styles: Mapping[str, tuple[int | None, int | None]] | None = None
    ) -> EspeakTTSService:
        """`styles`: named (rate, pitch) the dialogue switches between per reply."""
        return EspeakTTSService(voice=self.tts_voice, styles=styles)
