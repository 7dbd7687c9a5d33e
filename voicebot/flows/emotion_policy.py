"""How a flow adapts to the caller's emotion: empathy openers, shorter menus, an earlier
offer of a human, calmer prosody, escalation rules and the crisis route.

The settings are typed for YAML (`emotion:` in a flow); `EmotionPolicyState` applies them to
one call's turns. Pure: the estimates come from `voicebot.emotion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from voicebot.flows.base import FlowModel
from voicebot.language import wording

Label = Literal["neutral", "frustrated", "angry", "anxious", "confused", "satisfied"]
UPSET: tuple[Label, ...] = ("frustrated", "angry", "anxious")
IMPATIENT: tuple[Label, ...] = ("frustrated", "angry")

DEFAULT_OPENERS: dict[Label, list[str]] = {
    label: list(wording.EMPATHY_OPENERS[label])
    for label in ("frustrated", "angry", "anxious", "confused")
}


class Prosody(FlowModel):
    """How the bot's voice changes (espeak-ng words per minute and pitch 0-99)."""

    rate: int | None = Field(default=None, ge=80, le=450)
    """Speaking rate in words per minute (the voice's default is about 175)."""
    pitch: int | None = Field(default=None, ge=0, le=99)
    """Pitch, 0 (low) to 99 (high); 50 is the voice's default."""


class EscalationRule(FlowModel):
    """Hand the caller to humans when an emotion stays strong for several turns."""

    emotion: list[Label] = Field(min_length=1)
    """Emotion labels that count (e.g. `[angry]` or `[angry, frustrated]`)."""
    min_intensity: float = Field(default=0.7, ge=0, le=1)
    """Intensity a turn needs to count."""
    turns: int = Field(default=2, ge=1, le=10)
    """Consecutive counting turns that trigger the transfer."""
    queue: str
    """Queue to transfer to."""
    say: str = wording.ESCALATION_SAY
    """What the bot says before transferring."""


class CrisisPolicy(FlowModel):
    """Where a caller who mentions self-harm or an emergency goes, at once, from anywhere."""

    queue: str
    """The priority queue (answered first, outside business hours too)."""
    say: str = wording.CRISIS_SAY
    """The calm message said before the transfer."""


class EmotionPolicy(FlowModel):
    """What the flow does with the caller's emotion (`emotion` in conditions is always
    available; these add automatic behaviour)."""

    empathy: bool = True
    """Start some replies to frustrated, angry, anxious or confused callers with an opener."""
    openers: dict[Label, list[str]] = Field(default_factory=lambda: dict(DEFAULT_OPENERS))
    """Opener phrases per emotion; never the same one twice in a row."""
    opener_gap: int = Field(default=2, ge=1, le=10)
    """At least this many bot replies between two openers (never on every turn)."""
    min_intensity: float = Field(default=0.4, ge=0, le=1)
    """Intensity from which the caller counts as upset for openers, menus and retries."""
    shorten_menus: bool = True
    """Frustrated or angry callers hear a menu's `short_say`, or just its choices."""
    offer_agent_sooner: bool = True
    """Frustrated or angry callers' reprompts say they can ask for a person, and nodes with
    `max_retries` above 2 give up one failed turn sooner."""
    styles: dict[Label, Prosody] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]  # literal keys are Labels
            "anxious": Prosody(rate=145, pitch=40),
            "angry": Prosody(rate=150, pitch=38),
            "frustrated": Prosody(rate=160, pitch=42),
        }
    )
    """Voice per emotion: slower and lower for anxious or angry callers."""
    escalate: list[EscalationRule] = Field(default_factory=list)
    """Escalation rules, checked after every caller turn."""
    crisis: CrisisPolicy | None = None
    """The crisis route; without it crises go to the first queue."""


@dataclass(frozen=True)
class Estimate:
    """The part of an emotion estimate the policy reads."""

    label: Label
    intensity: float
    score: float = 0.0
    """The call's rolling negative-emotion score, 0-1."""
    crisis: bool = False


@dataclass
class EmotionPolicyState:
    """One call's application of the policy: what the last turns were, which opener was used."""

    policy: EmotionPolicy
    current: Estimate = field(default_factory=lambda: Estimate("neutral", 0.0))
    _streaks: list[int] = field(default_factory=list)
    _since_opener: int = 1_000
    _last_opener: str | None = None

    def __post_init__(self) -> None:
        self._streaks = [0] * len(self.policy.escalate)

    def observe(self, estimate: Estimate) -> EscalationRule | None:
        """Take one caller turn's estimate; the escalation rule it triggers, if any."""
        self.current = estimate
        triggered: EscalationRule | None = None
        for i, rule in enumerate(self.policy.escalate):
            counts = estimate.label in rule.emotion and estimate.intensity >= rule.min_intensity
            self._streaks[i] = self._streaks[i] + 1 if counts else 0
            if triggered is None and self._streaks[i] >= rule.turns:
                triggered = rule
        return triggered

    @property
    def upset(self) -> bool:
        return self.current.label in UPSET and self.current.intensity >= self.policy.min_intensity

    @property
    def impatient(self) -> bool:
        return (
            self.current.label in IMPATIENT and self.current.intensity >= self.policy.min_intensity
        )

    def opener(self) -> str | None:
        """An opener for this reply, or None; call once per bot reply."""
        self._since_opener += 1
        label = self.current.label
        if not self.policy.empathy or self.current.intensity < self.policy.min_intensity:
            return None
        choices = [o for o in self.policy.openers.get(label, []) if o != self._last_opener]
        if not choices or self._since_opener <= self.policy.opener_gap:
            return None
        # Deterministic rotation: the next unused opener, so tests and replays repeat exactly.
        pick = choices[self._since_opener % len(choices)]
        self._since_opener, self._last_opener = 0, pick
        return pick

    def style(self) -> str:
        """The TTS style for this call's next replies (`neutral` when none applies)."""
        label = self.current.label
        return label if label in self.policy.styles and self.upset else "neutral"
