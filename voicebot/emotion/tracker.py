"""One call's emotion tracker: combines words, voice and behaviour into a per-turn estimate
and a rolling negative-affect score the flow can read. Pure: no I/O, no clock, no asyncio."""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.emotion.behaviour import repeats_earlier, score_behaviour
from voicebot.emotion.crisis import detect_crisis
from voicebot.emotion.labels import NEGATIVE, EmotionEstimate, Label, TurnSignals, VoiceFeatures
from voicebot.emotion.text import THRESHOLD, score_text
from voicebot.emotion.voice import relative_arousal

RAISED_VOICE = 0.5  # arousal from which a raised voice alone makes a neutral turn frustrated
SCORE_RATE = 0.5  # how far one fully confident turn moves the rolling score towards itself
REPEAT_MIN_WORDS = 2  # "yes" twice to two questions is not the caller repeating themselves


@dataclass
class _Turn:
    text: str
    signals: TurnSignals


def _clip(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 3)


class EmotionTracker:
    """One per call. `observe` once per caller turn, in order; `history` keeps every estimate.

    Repetition: besides `TurnSignals.repeated` from the engine, the tracker marks a turn as
    repeated when its transcript nearly matches one of the caller's last two; one-word
    transcripts ("yes" to two questions) count only right after a no-match.
    """

    def __init__(self) -> None:
        self.history: list[EmotionEstimate] = []
        self.score = 0.0
        self._turns: list[_Turn] = []
        self._voices: list[VoiceFeatures] = []

    def observe(
        self,
        text: str,
        voice: VoiceFeatures | None = None,
        signals: TurnSignals = TurnSignals(),  # noqa: B008 - frozen, so sharing it is safe
    ) -> EmotionEstimate:
        text = text if isinstance(text, str) else ""
        estimate = self._estimate(text, voice, signals)
        self.history.append(estimate)
        self._turns.append(_Turn(text, signals))
        if voice is not None:
            self._voices.append(voice)
        return estimate

    def _estimate(
        self, text: str, voice: VoiceFeatures | None, signals: TurnSignals
    ) -> EmotionEstimate:
        kind = detect_crisis(text)
        if kind is not None:
            self.score = 1.0
            return EmotionEstimate(
                label="anxious",
                intensity=1.0,
                confidence=1.0,
                score=1.0,
                crisis=True,
                cues=(f"crisis:{kind}",),
                crisis_kind=kind,
            )

        words = text.split()
        earlier_texts = [t.text for t in self._turns]
        previous_missed = bool(self._turns) and self._turns[-1].signals.no_match
        repeated_text = (len(words) >= REPEAT_MIN_WORDS or previous_missed) and repeats_earlier(
            text, earlier_texts
        )
        said = score_text(text)
        did = score_behaviour(signals, [t.signals for t in self._turns], repeated_text)

        evidence: dict[Label, float] = dict(said.evidence)
        for label, weight in did.evidence.items():
            evidence[label] = evidence.get(label, 0.0) + weight
        cues = [*said.cues, *did.cues]
        label, top = max(evidence.items(), key=lambda kv: kv[1], default=("neutral", 0.0))
        if top < THRESHOLD or label == "neutral":
            label, top = "neutral", 0.0

        arousal: float | None = None
        voice_term = 0.0
        if voice is not None:
            moved = relative_arousal(voice, self._voices)
            if moved is not None:
                arousal, voice_cues = moved
                cues.extend(voice_cues)
                if label == "neutral" and arousal >= RAISED_VOICE and said.compound < 0.3:
                    label, top = "frustrated", THRESHOLD
                    cues.append("raised_voice")
                # Raised voice strengthens what the words say; a calmer one softens it.
                voice_term = 0.3 * arousal if arousal > 0 else 0.15 * arousal

        if label == "neutral":
            intensity = 0.0
        else:
            intensity = _clip(
                0.35 + 0.15 * top + 0.25 * said.boost + 0.15 * abs(said.compound) + voice_term
            )

        confidence = said.confidence
        if not text.strip():
            confidence = 0.3 if did.cues else 0.0
        if arousal is not None:
            confidence = min(1.0, confidence + 0.1)
        confidence = _clip(confidence)

        self._update_score(label, intensity, confidence)
        return EmotionEstimate(
            label=label,
            intensity=intensity,
            confidence=confidence,
            score=self.score,
            crisis=False,
            cues=tuple(cues),
            arousal=arousal,
        )

    def _update_score(self, label: Label, intensity: float, confidence: float) -> None:
        rate = SCORE_RATE * max(confidence, 0.2)
        if label in NEGATIVE:
            target = intensity
        elif label == "confused":
            target = 0.4 * intensity
        elif label == "satisfied":
            target, rate = 0.0, rate * 1.5
        else:  # neutral turns ease the score down slowly: one "yes" does not undo anger
            target, rate = 0.0, rate * 0.4
        self.score = _clip(self.score + rate * (target - self.score))
