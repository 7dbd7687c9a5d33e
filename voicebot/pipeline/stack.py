"""Speech stacks: models loaded once per process, services made once per call.

`EmbeddedSpeechStack` is webrtcvad + pocketsphinx + espeak-ng. `ConfiguredSpeechStack` picks each
stage from the settings (`stt: pocketsphinx|whisper`, `tts: espeak|piper`, `llm: none|ollama`)
and has the same methods, plus `understander()` for the LLM fallback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from voicebot.flows.slot_types import SlotType
from voicebot.language.wording import (
    APOLOGY,
    GOODBYE,
    HOLD,
    NO_INPUT,
    NO_MATCH,
    RETRY_SLOT,
    TRANSFER_FAILED,
    TRANSFER_TO_AGENT,
)
from voicebot.pipeline import metrics
from voicebot.settings import Settings
from voicebot.speech.decode_processes import ProcessPocketsphinxRecognizer
from voicebot.speech.espeak_tts import EspeakTTSService
from voicebot.speech.models import require_models
from voicebot.speech.pocketsphinx_stt import PocketsphinxSTTService
from voicebot.speech.recognizer import PocketsphinxRecognizer
from voicebot.speech.smart_turn import smart_turn_for
from voicebot.speech.turn_vad import TurnVADProcessor
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer, telephone_vad_params

if TYPE_CHECKING:
    from voicebot.dialogue.matcher import IntentMatcher
    from voicebot.flows.flow import Flow
    from voicebot.llm.answers import GroundedAnswerer
    from voicebot.llm.phrasing import Phraser
    from voicebot.llm.understanding import LLMUnderstander
    from voicebot.speech.piper_tts import PiperVoiceModel
    from voicebot.speech.whisper_stt import WhisperRecognizer

Styles = Mapping[str, tuple[int | None, int | None]]
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def fixed_prompts(flows: Iterable[Flow]) -> list[str]:
    """What piper synthesises once at start-up: the engine's apologies and "didn't catch
    that", and each flow's greeting, re-prompts, no-input prompts and help (without slot
    placeholders: those are composed per call)."""
    texts = [*APOLOGY.values(), NO_MATCH, NO_INPUT, RETRY_SLOT, TRANSFER_TO_AGENT, GOODBYE]
    texts += [HOLD, TRANSFER_FAILED]
    for flow in flows:
        start = flow.nodes[flow.start_node]
        texts += [t for t in (start.say, start.prompt) if t]
        for node in flow.nodes.values():
            texts += [*node.reprompts, *node.no_input_prompts, *([node.help] if node.help else [])]
    return [t.strip() for t in dict.fromkeys(texts) if t.strip() and not _PLACEHOLDER.search(t)]


class SpeechStack(Protocol):
    """What the pipeline builder needs from a stack."""

    def vad(self) -> TurnVADProcessor: ...
    def stt(self) -> STTService: ...
    def tts(self, styles: Styles | None = None) -> TTSService: ...


def pocketsphinx_recognizer(
    processes: int,
) -> PocketsphinxRecognizer | ProcessPocketsphinxRecognizer:
    """The process's shared pocketsphinx, its model loaded: in `processes` worker processes, or
    in this one when 0."""
    recognizer = (
        ProcessPocketsphinxRecognizer(processes) if processes > 0 else PocketsphinxRecognizer()
    )
    recognizer.warm_up()
    metrics.model_loaded("stt", "pocketsphinx")
    return recognizer


GRAMMAR_HOLDS: frozenset[SlotType] = frozenset({"digits"})
"""Slot types whose pauses pocketsphinx waits out itself (it holds an unfinished number), so
the VAD keeps its short wait for them."""


class EmbeddedSpeechStack:
    """webrtcvad + pocketsphinx + espeak-ng: works right after `pip install`, no downloads."""

    def __init__(self, *, tts_voice: str = "en-us", decode_processes: int = 0) -> None:
        """`decode_processes`: worker processes for pocketsphinx (0: decode in threads of this
        process, which pauses its event loop during each decode)."""
        # Loading the acoustic model takes a while; every call shares this one.
        self.recognizer = pocketsphinx_recognizer(decode_processes)
        self.tts_voice = tts_voice

    def vad(self) -> TurnVADProcessor:
        analyzer = WebRTCVADAnalyzer(params=telephone_vad_params())
        # pocketsphinx decodes while the VAD waits for the turn's end (speech.early_decode).
        return TurnVADProcessor(vad_analyzer=analyzer, held=GRAMMAR_HOLDS, early_decode=True)

    def stt(self) -> PocketsphinxSTTService:
        return PocketsphinxSTTService(recognizer=self.recognizer)

    def tts(
        self, styles: Mapping[str, tuple[int | None, int | None]] | None = None
    ) -> EspeakTTSService:
        """`styles`: named (rate, pitch) the dialogue switches between per reply."""
        return EspeakTTSService(voice=self.tts_voice, styles=styles)

    def close(self) -> None:
        """Stop the decode worker processes, if any."""
        if isinstance(self.recognizer, ProcessPocketsphinxRecognizer):
            self.recognizer.close()

    def matcher(self) -> None:
        """Grammar decodes need no intent matcher (the same method as ConfiguredSpeechStack's)."""
        return None

    def cross_check(self) -> None:
        """No matcher, so nothing to cross-check (the same method as ConfiguredSpeechStack's)."""
        return None

    def understander(self) -> None:
        """No LLM in the embedded stack (the same method as ConfiguredSpeechStack's)."""
        return None

    def phraser(self) -> None:
        """No LLM phrasing in the embedded stack."""
        return None

    def answerer(self) -> None:
        """No LLM wording of FAQ answers: entries are read as written."""
        return None


class ConfiguredSpeechStack:
    """Each stage from the settings. Build it after `speech.models.require_models(settings)`
    so a missing model fails at startup with its fetch command (or falls back, if configured).
    """

    def __init__(self, settings: Settings, *, prime: Iterable[str] = ()) -> None:
        """`prime`: fixed texts piper synthesises now and keeps (greetings, re-prompts)."""
        from voicebot.speech.models import resolve_auto

        settings = resolve_auto(settings)
        self.settings = settings
        self.whisper: WhisperRecognizer | None = None
        self.pocketsphinx: PocketsphinxRecognizer | ProcessPocketsphinxRecognizer | None = None
        self.piper: PiperVoiceModel | None = None
        self._understander: LLMUnderstander | None = None
        self._matcher: IntentMatcher | None = None
        self._phraser: Phraser | None = None
        self._answerer: GroundedAnswerer | None = None
        # Smart Turn judges caller pauses (off by default: docs/turn_taking.md).
        self.smart_turn = smart_turn_for(settings.smart_turn, settings.smart_turn_model)
        if settings.stt == "whisper":
            from voicebot.speech.whisper_stt import WhisperConfig, WhisperRecognizer

            self.whisper = WhisperRecognizer(
                WhisperConfig(
                    model=settings.whisper_model,
                    compute_type=settings.whisper_compute_type,
                    beam_size=settings.whisper_beam_size,
                    threads=settings.whisper_threads,
                    workers=settings.whisper_workers,
                    max_pending=settings.whisper_max_pending,
                    language=settings.whisper_language,
                    time_limit_secs=settings.whisper_time_limit_secs,
                    cache_dir=settings.model_cache,
                )
            )
            self.whisper.warm_up()
            metrics.model_loaded("stt", "whisper")
            # Whisper writes what was said, not a grammar phrase: the matcher maps it to intents.
            from voicebot.dialogue.matcher import IntentMatcher
            from voicebot.language.embedding import MiniLMEmbedder

            self._matcher = IntentMatcher(MiniLMEmbedder())
            if settings.grammar_cross_check:
                # The second ear for a menu turn the matcher rejects: a rare decode, so one
                # process is enough.
                self.pocketsphinx = pocketsphinx_recognizer(min(settings.stt_processes, 1))
        else:
            self.pocketsphinx = pocketsphinx_recognizer(settings.stt_processes)
        if settings.tts == "piper":
            from voicebot.speech.piper_tts import PiperVoiceModel

            self.piper = PiperVoiceModel(settings.piper_voice, settings.model_cache)
            self.piper.warm_up()
            self.piper.prime(prime)
            metrics.model_loaded("tts", "piper")
        if settings.llm == "ollama":
            # One client (and its time budgets) for the three uses of the model.
            from voicebot.llm.answers import GroundedAnswerer
            from voicebot.llm.client import Budget, LLMClient
            from voicebot.llm.phrasing import Phraser
            from voicebot.llm.understanding import LLMUnderstander

            client = LLMClient(
                settings.ollama_url,
                settings.ollama_model,
                budget=Budget(settings.llm_first_token_secs, settings.llm_total_secs),
            )
            self._understander = LLMUnderstander(client)
            self._phraser = Phraser(client)
            self._answerer = GroundedAnswerer(client)

    def vad(self) -> TurnVADProcessor:
        held = GRAMMAR_HOLDS if self.whisper is None else frozenset()
        analyzer = WebRTCVADAnalyzer(params=telephone_vad_params())
        # Either recogniser decodes while the VAD waits for the turn's end (speech.early_decode).
        return TurnVADProcessor(
            vad_analyzer=analyzer, held=held, early_decode=True, smart_turn=self.smart_turn
        )

    def stt(self) -> STTService:
        if self.whisper is not None:
            from voicebot.speech.whisper_stt import WhisperSTTService

            return WhisperSTTService(self.whisper)
        assert self.pocketsphinx is not None
        return PocketsphinxSTTService(recognizer=self.pocketsphinx)

    def tts(self, styles: Styles | None = None) -> TTSService:
        if self.piper is not None:
            from voicebot.speech.piper_tts import PiperTTSService, scales_from_prosody

            return PiperTTSService(self.piper, styles=scales_from_prosody(styles or {}))
        return EspeakTTSService(voice=self.settings.tts_voice, styles=styles)

    def close(self) -> None:
        """Stop the decode worker processes, if any."""
        if isinstance(self.pocketsphinx, ProcessPocketsphinxRecognizer):
            self.pocketsphinx.close()

    def understander(self) -> LLMUnderstander | None:
        """The LLM understanding fallback for a call's DialogueProcessor (None: llm is none)."""
        return self._understander

    def phraser(self) -> Phraser | None:
        """LLM phrasing of replies to upset callers (None: llm is none)."""
        return self._phraser

    def matcher(self) -> IntentMatcher | None:
        """The intent matcher for open-vocabulary transcripts (None: grammar decoding)."""
        return self._matcher

    def cross_check(self) -> PocketsphinxRecognizer | ProcessPocketsphinxRecognizer | None:
        """With whisper: the grammar recogniser that cross-checks a rejected menu match."""
        return self.pocketsphinx if self.whisper is not None else None

    def answerer(self) -> GroundedAnswerer | None:
        """FAQ answers worded by the LLM from the cited entry (None: llm is none)."""
        return self._answerer


class SpeechStacks:
    """One stack per distinct stage choice, for flows that override the settings' choice."""

    def __init__(self, settings: Settings, *, prime: Iterable[str] = ()) -> None:
        self.settings = settings
        self.prime = tuple(prime)
        self._stacks: dict[tuple[str, str, str], ConfiguredSpeechStack] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for stack in self._stacks.values():
                stack.close()

    def for_flow(self, overrides: Mapping[str, Any] | None = None) -> ConfiguredSpeechStack:
        """The stack for a flow's `speech:` overrides (e.g. {"stt": "whisper"})."""
        merged = Settings.model_validate({**self.settings.model_dump(), **(overrides or {})})
        with self._lock:
            effective = require_models(merged)
            key = (effective.stt, effective.tts, effective.llm)
            if key not in self._stacks:
                self._stacks[key] = ConfiguredSpeechStack(effective, prime=self.prime)
            return self._stacks[key]
