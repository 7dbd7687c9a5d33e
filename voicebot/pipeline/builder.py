"""Builds one call's pipeline: the whole audio path as one readable list."""

from __future__ import annotations

from pipecat.pipeline.pipeline import Pipeline
from pipecat.transports.base_transport import BaseTransport

from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.speech.stack import EmbeddedSpeechStack


def build_pipeline(
    transport: BaseTransport, speech: EmbeddedSpeechStack, dialogue: DialogueProcessor
) -> Pipeline:
    return Pipeline(
        [
            transport.input(),  # Twilio wire JSON → caller audio, DTMF, mark echoes, stop
            speech.vad(),  # webrtcvad: when the caller starts and finishes a turn
            speech.stt(),  # pocketsphinx against the grammar of the current node
            dialogue,  # engine events ⇄ actions; barge-in, timers, call record
            speech.tts(),  # espeak-ng
            transport.output(),  # PCM → μ-law media, marks, `clear` on barge-in
        ]
    )
