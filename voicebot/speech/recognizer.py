"""Embedded speech recogniser: pocketsphinx decoding one caller turn against the node's grammar.

Rejects out-of-grammar speech by comparing the grammar decode with a free phone-loop decode.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import pocketsphinx

from voicebot.audio.codec import resample
from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.speech.feelings import FEELINGS_JSGF
from voicebot.speech.grammar import compile_jsgf, missing_words

logger = logging.getLogger(__name__)

MODEL_RATE = 16000
"""The wheel's en-us model is wideband: telephone audio is upsampled to it. Decoding 8 kHz
directly needs a different filterbank, which the model's feat.params forbid (and which
measured far worse: 0/52 phrases vs 19/52 upsampled)."""

REJECT_GAP = 0.0
"""Rejection threshold on the per-frame score gap (grammar path minus phone-loop path, in
pocketsphinx log units). On 97 in-grammar and 189 out-of-grammar turns (espeak voices and
real speech over μ-law) 0 kept every in-grammar turn that decoded right but one (0.5) and
rejected 156/189 out-of-grammar turns; raising it to 8 rejects 167 but loses 6 right turns."""

MIN_WORD_COVERAGE = 0.6
"""Share of the turn's loud 10 ms frames that the grammar path must give to real words. A
grammar decoder can explain speech it has no words for as silence or filler around one short
phrase ("the weather is lovely in paris today" → "repeat"); measured on the demo fixtures and
the shared real speech: in-grammar turns 0.95-1.00, out-of-grammar 0.17 and 0.36."""

LOUD_RMS = 300.0

CONFIDENCE_SCALE = 6.0
"""Gap units per logistic step: confidence is 0.5 at the threshold, ~0.84 at +6, ~0.97 at +20."""

EDGE_QUIET_S = 0.02
QUIET_LEVEL = 64
"""|sample| below this (about -54 dBFS) counts as silence when trimming turn edges: the
segmenter pads each turn with digital silence, on which this model decodes the whole turn as
silence. Measured on 16 call segments and fixtures, each bare and padded (32 decodes): edges
kept at 10-25 ms 32/32 right, 50 ms 27/32, 200 ms 18/32, none 30/32."""

DITHER_SEED = 20261121

_SPEECH_SEARCH_CACHE = 32
_PHONE_LOOP = "_phone_loop"
_OPEN_LM = "_open_lm"
_LOG_BASE = math.log(1.0001)  # pocketsphinx's log base: scores come back as 1.0001**score


@dataclass(frozen=True)
class Recognition:
    """One decoded caller turn; `text` is empty when nothing in the grammar was said."""

    text: str
    confidence: float
    """0..1: how far the grammar path beat a free phone decode (1.0 = clear in-grammar)."""
    rejected: bool
    """True when the caller said something outside the grammar, or nothing decodable."""
    decode_ms: float
    partial: bool = False
    """Rejected because the best path stopped part-way through a grammar sentence ("two
    three four" of an eight-digit number): the caller may simply not have finished."""


class _Decoder:
    """One pocketsphinx decoder (not thread-safe) with its compiled grammars cached."""

    def __init__(self) -> None:
        self.ps = pocketsphinx.Decoder(
            hmm=pocketsphinx.get_model_path("en-us/en-us"),
            dict=pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"),
            lm=None,
            samprate=MODEL_RATE,
            logfn="/dev/null",  # pocketsphinx logs hypotheses: keep transcripts out of logs
        )
        self.ps.add_allphone_file(
            _PHONE_LOOP, pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin")
        )
        self.grammars: OrderedDict[str, str] = OrderedDict()  # JSGF text -> search name
        self._free: tuple[bytes, float] | None = None  # (audio, its phone-loop score)
        self._next = 0
        self.has_lm = False

    def grammar_search(self, jsgf: str) -> str:
        name = self.grammars.get(jsgf)
        if name is not None:
            self.grammars.move_to_end(jsgf)
            return name
        name = f"g{self._next}"
        self._next += 1
        self.ps.add_jsgf_string(name, jsgf)
        self.grammars[jsgf] = name
        if len(self.grammars) > _SPEECH_SEARCH_CACHE:
            _, old = self.grammars.popitem(last=False)
            self.ps.remove_search(old)
        return name

    def lm_search(self) -> str:
        if not self.has_lm:
            # Loaded on first use: the open model costs ~0.3 s and tens of MB per decoder.
            self.ps.add_lm_file(_OPEN_LM, pocketsphinx.get_model_path("en-us/en-us.lm.bin"))
            self.has_lm = True
        return _OPEN_LM

    def decode(self, search: str, pcm16: bytes) -> tuple[str, float, int]:
        """(hypothesis, path score in log units, frames) for `pcm16` under `search`."""
        self.ps.activate_search(search)
        # Feature state (cepstral mean and more) carries over from the last utterance, which
        # made a turn decode differently depending on the turn before it (measured: real
        # "two nine three four zero" heard as "three nine…" after an off-grammar turn).
        self.ps.reinit_feat()
        self.ps.start_utt()
        self.ps.process_raw(pcm16, full_utt=True)
        self.ps.end_utt()
        hyp = self.ps.hyp()
        if hyp is None or not hyp.hypstr:
            return "", -math.inf, self.ps.n_frames()
        score = math.log(hyp.score) / _LOG_BASE if hyp.score > 0 else -math.inf
        return hyp.hypstr, score, self.ps.n_frames()

    def free_score(self, pcm16: bytes) -> float:
        """The free phone decode's path score of `pcm16`, the yardstick a grammar path is
        measured against. One turn may be checked against several grammars (the node's, a
        shorter digit string, feelings): the phone decode of the same audio is run once."""
        if self._free is None or self._free[0] is not pcm16:
            _, score, _ = self.decode(_PHONE_LOOP, pcm16)
            self._free = (pcm16, score)
        return self._free[1]

    def word_coverage(self, pcm16: bytes) -> float:
        """Share of the last decode's loud frames assigned to words, not silence or filler."""
        loud = _loud_frames(pcm16)
        if not loud.any():
            return 0.0
        in_filler = sum(
            int(loud[seg.start_frame : seg.end_frame + 1].sum())
            for seg in self.ps.seg()
            if seg.word.startswith(("<", "[", "+"))
        )
        return 1.0 - in_filler / int(loud.sum())

    def accepts(self, search: str, text: str) -> bool:
        """Whether `text` is a complete sentence of the grammar (not a partial path)."""
        return bool(self.ps.get_fsg(search).accept(text))


class PocketsphinxRecognizer:
    """Decodes turns against per-node grammars; share one instance per process.

    Decoders are pooled (one per concurrent turn, at most `max_decoders`), each loading the
    acoustic model and dictionary once, so calls never reload the model.
    """

    def __init__(self, max_decoders: int = 4, reject_gap: float = REJECT_GAP) -> None:
        self._reject_gap = reject_gap
        self._max = max_decoders
        self._idle: queue.LifoQueue[_Decoder] = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load one decoder now so the first caller does not wait for the model."""
        self._release(self._acquire())

    def recognize(self, pcm16: bytes, sample_rate: int, expect: Expectation) -> Recognition:
        """Decode one turn of 16-bit mono PCM against what `expect` allows."""
        started = time.perf_counter()
        audio = _prepare(pcm16, sample_rate)
        if not expect.free_speech and not (expect.intents or expect.slot):
            return Recognition("", 0.0, True, _ms_since(started))  # DTMF-only node
        jsgf = None if expect.free_speech else _grammar_for(expect)
        decoder = self._acquire()
        try:
            if jsgf is None:
                text, _, _ = decoder.decode(decoder.lm_search(), audio)
                result = (text, 1.0 if text else 0.0, not text, False)
            else:
                result = self._decode_grammar(decoder, jsgf, audio)
                if result[2] and _unfinished(expect) is not None:
                    result = self._check_unfinished(decoder, expect, audio, result)
                if result[2]:
                    result = self._decode_feelings(decoder, audio, result)
                if result[2] and expect.questions:
                    # A question the FAQ does not word: the open model hears it, and the
                    # answer node says honestly that it has no answer.
                    text, _, _ = decoder.decode(decoder.lm_search(), audio)
                    result = (text, 0.5 if text else 0.0, not text, False)
        except (RuntimeError, ValueError) as exc:
            raise SpeechError(
                f"pocketsphinx failed to decode a turn: {exc}", retryable=True
            ) from exc
        finally:
            self._release(decoder)
        text, confidence, rejected, partial = result
        recognition = Recognition(
            text if not rejected else "", confidence, rejected, _ms_since(started), partial
        )
        logger.debug(
            "turn decoded",
            extra={"node": expect.node, "rejected": rejected, "confidence": round(confidence, 3),
                   "decode_ms": round(recognition.decode_ms, 1), "transcript": text},
        )  # fmt: skip
        return recognition

    async def recognize_async(
        self, pcm16: bytes, sample_rate: int, expect: Expectation
    ) -> Recognition:
        """`recognize` in a thread. pocketsphinx keeps the GIL while it decodes, so this still
        pauses the event loop: servers use `ProcessPocketsphinxRecognizer` (decode_processes)."""
        return await asyncio.to_thread(self.recognize, pcm16, sample_rate, expect)

    def _decode_grammar(
        self, decoder: _Decoder, jsgf: str, audio: bytes
    ) -> tuple[str, float, bool, bool]:
        """(text, confidence, rejected, partial) of one grammar decode."""
        try:
            search = decoder.grammar_search(jsgf)
        except (RuntimeError, ValueError) as exc:
            raise SpeechError(f"pocketsphinx rejected the compiled grammar: {exc}") from exc
        text, score, frames = decoder.decode(search, audio)
        # A grammar decoder that cannot reach the end of any sentence returns a partial path.
        if not text:
            return text, 0.0, True, False
        if not decoder.accepts(search, text):
            return text, 0.0, True, True
        if decoder.word_coverage(audio) < MIN_WORD_COVERAGE:
            return text, 0.0, True, False
        gap = (score - decoder.free_score(audio)) / max(frames, 1)
        confidence = 1.0 / (1.0 + math.exp(-(gap - self._reject_gap) / CONFIDENCE_SCALE))
        return text, confidence, gap < self._reject_gap, False

    def _decode_feelings(
        self, decoder: _Decoder, audio: bytes, rejected: tuple[str, float, bool, bool]
    ) -> tuple[str, float, bool, bool]:
        """A turn off the node's grammar may still be a caller saying how they feel."""
        felt = self._decode_grammar(decoder, FEELINGS_JSGF, audio)
        return rejected if felt[2] else felt

    def _check_unfinished(
        self,
        decoder: _Decoder,
        expect: Expectation,
        audio: bytes,
        rejected: tuple[str, float, bool, bool],
    ) -> tuple[str, float, bool, bool]:
        """A rejected digits turn that is a good decode of *fewer* digits is a caller who has
        paused mid-number, not a no-match: mark it partial so the turn can wait for more."""
        shorter = _unfinished(expect)
        assert shorter is not None
        text, _, bad, _ = self._decode_grammar(decoder, _grammar_for(shorter), audio)
        if bad or not text:
            return rejected
        return "", 0.0, True, True

    def _acquire(self) -> _Decoder:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._created < self._max
            if create:
                self._created += 1
        if not create:
            return self._idle.get()
        try:
            return _Decoder()
        except (RuntimeError, ValueError) as exc:
            with self._lock:
                self._created -= 1
            raise SpeechError(f"pocketsphinx could not load its en-us model: {exc}") from exc

    def _release(self, decoder: _Decoder) -> None:
        self._idle.put(decoder)


def _unfinished(expect: Expectation) -> Expectation | None:
    """What the start of an answer to `expect` can be: fewer digits than it needs."""
    slot = expect.slot
    if slot is None or slot.type != "digits" or slot.min_length < 2:
        return None
    return Expectation(
        node=expect.node, slot=replace(slot, min_length=1, max_length=slot.min_length - 1)
    )


def _grammar_for(expect: Expectation) -> str:
    unknown = missing_words(expect)
    if unknown:
        raise SpeechError(
            f"node {expect.node!r} uses words the pronunciation dictionary lacks: "
            f"{', '.join(sorted(unknown))}; rephrase them in the flow"
        )
    return compile_jsgf(expect)


def _prepare(pcm16: bytes, sample_rate: int) -> bytes:
    if len(pcm16) % 2:
        pcm16 = pcm16[:-1]
    return _dither(_trim_quiet_edges(resample(pcm16, sample_rate, MODEL_RATE), MODEL_RATE))


def _dither(pcm16: bytes) -> bytes:
    """Add ±1 LSB of noise, the same for the same turn: digital silence (log energy -inf)
    otherwise throws the decoder off. pocketsphinx's own `dither` does this with a random
    seed, which made identical turns decode differently; this keeps replays deterministic."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.int32)
    noise = np.random.default_rng(DITHER_SEED).integers(-1, 2, size=samples.size)
    return np.clip(samples + noise, -32768, 32767).astype("<i2").tobytes()


def _trim_quiet_edges(pcm16: bytes, rate: int) -> bytes:
    samples = np.frombuffer(pcm16, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= QUIET_LEVEL)
    if loud.size == 0:
        return pcm16
    margin = int(EDGE_QUIET_S * rate)
    return samples[max(0, loud[0] - margin) : loud[-1] + 1 + margin].tobytes()


def _loud_frames(pcm16: bytes, rate: int = MODEL_RATE) -> np.ndarray:
    """Per 10 ms frame (pocketsphinx's frame rate): is it louder than background?"""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float32)
    hop = rate // 100
    count = len(samples) // hop
    if count == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt((samples[: count * hop].reshape(count, hop) ** 2).mean(axis=1))
    return rms > max(LOUD_RMS, float(rms.max()) * 0.1)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
