"""Map an open-vocabulary transcript to the node's intents, with a calibrated score.

Pure at call time: sentence vectors come from an injected `Embedder` (a model already loaded),
phrase vectors are cached, and no file or network is touched. Two kinds of evidence are
combined: lexical (an intent phrase said as whole words, or the whole turn) and semantic (the
cosine between the turn and each intent's phrases and hints). A logistic model fitted on a
labelled calibration set (`bench/understanding.py --calibrate`) turns them into the chance
that the best intent is right; off-topic speech scores low and is rejected.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from voicebot.language.commands import COMMAND_PARAPHRASES
from voicebot.language.words import normalise

Vectors = npt.NDArray[np.float32]
Evidence = Literal["exact", "phrase", "semantic", "agreed", "none"]
"""How a match was found: the turn is a phrase ("exact"), holds one ("phrase"), means one
("semantic"); "agreed": the matcher's best intent, too weak alone, is what the node's grammar
decoded from the same audio (`pipeline.understanding_fallback.cross_checked`)."""


@dataclass(frozen=True)
class Calibration:
    """Logistic weights: P(right) = sigmoid(bias + w_cos*cos + w_margin*margin + w_lex*lex)."""

    bias: float
    cosine: float
    margin: float
    lexical: float
    accept: float
    """Scores from here on act on the intent."""
    high: float
    """Scores from here on are evidence enough for a risky action (hang up, leave unchecked)."""
    unsure: float = 0.2
    """Rejected scores from here on are worth a second opinion (the LLM fallback)."""


# Fitted by `python bench/understanding.py --calibrate` on its calibration set (text only,
# words different from the held-out set the benchmark scores).
CALIBRATION = Calibration(
    bias=-4.026, cosine=6.92, margin=4.388, lexical=2.24, accept=0.5, high=0.9, unsure=0.2
)


@dataclass(frozen=True)
class Match:
    """The best intent for a turn (None: nothing fits well enough) and how sure it is."""

    intent: str | None
    score: float
    """Calibrated chance that `intent` is what the caller meant (0..1)."""
    evidence: Evidence
    candidate: str | None = None
    """The best-scoring intent even when rejected (for the record and the LLM fallback)."""
    cosine: float = 0.0
    margin: float = 0.0
    unsure: bool = False
    """Rejected, but close enough that a second opinion (the LLM) may find the intent."""
    sure: bool = False
    """Accepted with evidence enough for a risky move (hang up, leave the node unchecked)."""

    @property
    def accepted(self) -> bool:
        return self.intent is not None


class Embedder(Protocol):
    """Sentence vectors, one L2-normalised row per text."""

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class IntentMatcher:
    """Scores a transcript against a node's intents; thread-safe for reads after warm-up."""

    def __init__(
        self,
        embedder: Embedder,
        calibration: Calibration = CALIBRATION,
        hints: Mapping[str, tuple[str, ...]] = COMMAND_PARAPHRASES,
        cache_size: int = 4096,
    ) -> None:
        self._embedder = embedder
        self.calibration = calibration
        self._hints = dict(hints)
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size

    def warm(self, phrases: Iterable[str]) -> None:
        """Embed phrases now (at start-up) so the first caller does not wait for them."""
        self._vectors([normalise(p) for p in phrases if normalise(p)])

    def features(
        self, text: str, intents: Mapping[str, Sequence[str]]
    ) -> tuple[str | None, float, float, float, Evidence]:
        """(candidate, cosine, margin, lexical, evidence) for `text`; the calibration's input."""
        said = normalise(text)
        if not said or not intents:
            return None, 0.0, 0.0, 0.0, "none"
        names = list(intents)
        phrase_sets = [
            [p for p in dict.fromkeys(normalise(x) for x in (*intents[n], *self._hints.get(n, ())))
             if p]
            for n in names
        ]  # fmt: skip
        lexical = [_lexical(said, phrases) for phrases in phrase_sets]
        exact = next((i for i, phrases in enumerate(phrase_sets) if said in phrases), None)
        if exact is not None:
            return names[exact], 1.0, 1.0, 1.0, "exact"
        turn = self._embedder.embed([said])[0]
        cosines = []
        for phrases in phrase_sets:
            vectors = self._vectors(phrases)
            cosines.append(float(np.max(vectors @ turn)) if len(vectors) else 0.0)
        combined = [c + lex for c, lex in zip(cosines, lexical, strict=True)]
        best = int(np.argmax(combined))
        others = [c for i, c in enumerate(cosines) if i != best]
        margin = cosines[best] - max(others, default=0.0)
        evidence: Evidence = "phrase" if lexical[best] > 0 else "semantic"
        return names[best], cosines[best], margin, lexical[best], evidence

    def match(self, text: str, intents: Mapping[str, Sequence[str]]) -> Match:
        """The node's intent `text` expresses, or Match(None, …) for off-topic speech."""
        candidate, cosine, margin, lexical, evidence = self.features(text, intents)
        if candidate is None:
            return Match(None, 0.0, "none")
        if evidence == "exact":
            return Match(candidate, 1.0, "exact", candidate, 1.0, 1.0, sure=True)
        score = self.score(cosine, margin, lexical)
        c = self.calibration
        accepted = candidate if score >= c.accept else None
        return Match(
            intent=accepted,
            score=round(score, 4),
            evidence=evidence if accepted else "none",
            candidate=candidate,
            cosine=round(cosine, 4),
            margin=round(margin, 4),
            unsure=accepted is None and score >= c.unsure,
            sure=accepted is not None and score >= c.high,
        )

    def score(self, cosine: float, margin: float, lexical: float) -> float:
        c = self.calibration
        z = c.bias + c.cosine * cosine + c.margin * margin + c.lexical * lexical
        return 1.0 / (1.0 + math.exp(-z))

    def _vectors(self, phrases: Sequence[str]) -> Vectors:
        missing = [p for p in phrases if p not in self._cache]
        if missing:
            for phrase, vector in zip(missing, self._embedder.embed(missing), strict=True):
                self._cache[phrase] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        rows = [self._cache[p] for p in phrases if p in self._cache]
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack(rows)


def _lexical(said: str, phrases: Sequence[str]) -> float:
    """How much of the turn an intent phrase covers as whole words (0 when none occurs)."""
    padded = f" {said} "
    total = len(said.split())
    best = 0.0
    for phrase in phrases:
        if f" {phrase} " in padded:
            best = max(best, len(phrase.split()) / total)
    return best


def fit_calibration(
    matcher: IntentMatcher,
    samples: Sequence[tuple[str, Mapping[str, Sequence[str]], str]],
    accept: float = 0.5,
    high: float = 0.9,
    ridge: float = 0.1,
) -> Calibration:
    """Logistic weights from labelled turns (text, the node's intents, the right intent or
    "none"): a sample is positive when the matcher's candidate is the right intent. Exact
    matches are left out (they score 1.0 whatever the weights)."""
    rows: list[tuple[float, float, float]] = []
    labels: list[float] = []
    for text, intents, meaning in samples:
        candidate, cosine, margin, lexical, evidence = matcher.features(text, intents)
        if evidence in ("exact", "none"):
            continue
        rows.append((cosine, margin, lexical))
        labels.append(1.0 if candidate == meaning else 0.0)
    x = np.hstack([np.ones((len(rows), 1)), np.array(rows)])
    y = np.array(labels)
    w = np.zeros(4)
    for _ in range(50):  # Newton's method with a small ridge: a few dozen samples converge fast
        p = 1.0 / (1.0 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + ridge * w
        hessian = (x.T * (p * (1 - p))) @ x + ridge * np.eye(4)
        w -= np.linalg.solve(hessian, gradient)
    return Calibration(
        bias=round(float(w[0]), 3), cosine=round(float(w[1]), 3), margin=round(float(w[2]), 3),
        lexical=round(float(w[3]), 3), accept=accept, high=high,
    )  # fmt: skip
