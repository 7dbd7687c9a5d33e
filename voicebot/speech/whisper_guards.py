"""Whisper's failure modes on a phone line, caught after the decode.

Whisper writes fluent text whatever it hears, so a turn is dropped (heard as nothing, the
dialogue re-prompts) when the decode shows one of its known failures:

* silence or line noise: the model's own no-speech probability is high and its tokens unsure
  (faster-whisper already skips such a segment when both cross its thresholds; a very high
  no-speech probability alone is enough here);
* a repetition loop ("yes yes yes yes …"): the text compresses too well (gzip ratio, as
  Whisper's own fallback measures it) or one word run repeats back to back;
* more words than the audio could hold (a hallucinated sentence on a cough);
* a decode that ran past its token budget or time limit (see `token_budget`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

NO_SPEECH_ALONE = 0.8
"""No-speech probability that drops a segment whatever its tokens say."""
NO_SPEECH_WITH_LOW_LOGPROB = (0.6, -1.0)
COMPRESSION_RATIO_MAX = 2.4
REPEATS_MAX = 3
"""A word run said this many times back to back is a loop ("one one one one" is 4)."""
WORDS_PER_SEC_MAX = 6.0
"""Fast speech is ~4 words/s; digits said singly are ~3/s."""
NUMBERS = frozenset(
    [
        "zero",
        "oh",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "double",
        "triple",
    ]
)
"""Digit strings repeat by nature ("1 1 1 1"): they are not judged as loops."""
TOKENS_PER_SEC = 8.0
MIN_TOKENS = 12


class Segment(Protocol):
    text: str
    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


@dataclass(frozen=True)
class Verdict:
    reason: str | None
    """None: keep the text; otherwise why the turn is dropped."""
    no_speech_prob: float
    compression_ratio: float


def token_budget(audio_secs: float, cap: int | None) -> int:
    """Tokens a turn of this length may produce: enough for fast speech written as digits with
    commas, never the 448 a run-away decode would take."""
    budget = MIN_TOKENS + math.ceil(TOKENS_PER_SEC * audio_secs)
    return budget if cap is None else min(cap, budget)


def compression_ratio(text: str) -> float:
    raw = text.encode()
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def longest_repeat(words: Sequence[str]) -> int:
    """How many times the most repeated back-to-back run of 1-4 words occurs."""
    best = 1
    for size in range(1, 5):
        for start in range(len(words) - size):
            run = 1
            at = start + size
            while words[at : at + size] == words[start : start + size]:
                run += 1
                at += size
            best = max(best, run)
    return best


def judge(segments: Sequence[Segment], text: str, audio_secs: float, budget: int) -> Verdict:
    """Whether a decoded turn can be believed."""
    no_speech = max((s.no_speech_prob for s in segments), default=1.0)
    ratio = max((s.compression_ratio for s in segments), default=0.0)
    ratio = max(ratio, compression_ratio(text))
    words = [w.strip(",.?!").lower() for w in text.split()]
    numeric = all(w.isdigit() or w in NUMBERS for w in words)
    reason: str | None = None
    if not text or all(
        s.no_speech_prob >= NO_SPEECH_ALONE
        or (
            s.no_speech_prob >= NO_SPEECH_WITH_LOW_LOGPROB[0]
            and s.avg_logprob < NO_SPEECH_WITH_LOW_LOGPROB[1]
        )
        for s in segments
    ):
        reason = "no speech"
    elif not numeric and (
        (len(text) >= 24 and ratio > COMPRESSION_RATIO_MAX) or longest_repeat(words) > REPEATS_MAX
    ):
        reason = "repetition"
    elif len(words) > 2 + WORDS_PER_SEC_MAX * audio_secs:
        reason = "more words than the audio holds"
    elif sum(len(s.tokens) for s in segments) >= budget:
        reason = "token budget"
    return Verdict(reason, round(no_speech, 3), round(ratio, 2))
