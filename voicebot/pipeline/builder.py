"""Builds one call's pipeline: the whole audio path as one readable list."""

from __future__ import annotations

from collections.abc import Mapping

from pipecat.pipeline.pipeline import Pipeline
from pipecat.transports.base_transport import BaseTransport

from voicebot.flows.flow import Flow
from voicebot.pipeline.dialogue_processor import DialogueProcessor
from voicebot.pipeline.stack import SpeechStack
from voicebot.pipeline.voice_features import VoiceFeaturesProcessor


def build_pipeline(
    transport: BaseTransport,
    speech: SpeechStack,
    dialogue: DialogueProcessor,
    styles: Mapping[str, tuple[int | None, int | None]] | None = None,
) -> Pipeline:
    """`styles`: the flow's voice per emotion, (rate, pitch), picked by each reply's style."""
    return Pipeline(
        [
            transport.input(),  # Twilio wire JSON → caller audio, DTMF, mark echoes, stop
            speech.vad(),  # webrtcvad: when the caller starts and finishes a turn
            VoiceFeaturesProcessor(),  # loudness, pitch, rate of each turn (for emotion)
            speech.stt(),  # pocketsphinx against the grammar of the current node
            dialogue,  # engine events ⇄ actions; barge-in, timers, call record
            speech.tts(styles=styles),  # espeak-ng, in the style the caller's mood calls for
            transport.output(),  # PCM → μ-law media, marks, `clear` on barge-in
        ]
    )


def tts_styles(flow: Flow) -> dict[str, tuple[int | None, int | None]]:
    """The flow's emotion styles as the TTS takes them."""
    return {label: (p.rate, p.pitch) for label, p in flow.emotion.styles.items()}
