"""The typed dialogue flow an admin writes in YAML (its semantic checks are in `checks.py`).

Field docstrings become the JSON Schema descriptions that editors show while a flow is edited.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from voicebot.flows.base import FlowModel
from voicebot.flows.emotion_policy import EmotionPolicy
from voicebot.flows.knowledge import Knowledge
from voicebot.flows.queues import Queue, Routing, TwilioQueue
from voicebot.flows.slot_types import (
    ChoiceSlot,
    DigitsSlot,
    Slot,
    YesNoSlot,
)
from voicebot.flows.webhooks import Webhook
from voicebot.language import wording

__all__ = [
    "ChoiceSlot", "DigitsSlot", "Flow", "Node", "Queue", "Slot", "TwilioQueue",
    "YesNoSlot",
]  # fmt: skip

NodeKind = Literal["menu", "collect", "answer", "webhook", "transfer", "hangup", "say"]

# Global commands the engine understands in every node; a flow intent with one of these names
# adds its examples to the command instead of defining a menu choice.
GLOBAL_COMMANDS = ("agent", "repeat", "help", "start_over", "goodbye")

# The implicit queue used when a flow declares none.
DEFAULT_QUEUE = "general"


_Model = FlowModel


class Intent(_Model):
    """Something a caller may want, recognised from example phrases."""

    examples: list[str] = Field(min_length=1)
    """Phrases that express the intent; matched after lower-casing and removing punctuation."""
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    """Word or phrase -> other ways to say it; every example using the word is also
    understood with each alternative (`bill: [invoice, statement]`)."""

    def phrases(self) -> list[str]:
        """The examples with every synonym substituted, examples first, no duplicates."""
        phrases = dict.fromkeys(self.examples)
        for word, alternatives in self.synonyms.items():
            for example in list(phrases):
                if f" {word} " in f" {example} ":
                    for alternative in alternatives:
                        spaced = f" {example} ".replace(f" {word} ", f" {alternative} ")
                        phrases[spaced.strip()] = None
        return list(phrases)


class YesNoBranch(_Model):
    """Where a yes/no answer leads."""

    yes: str
    """Node to go to when the caller says yes."""
    no: str
    """Node to go to when the caller says no."""


class Route(_Model):
    """One conditional way out of a node: the first route whose `when` holds is taken."""

    when: str = Field(min_length=1)
    """A condition over slots and the call, e.g. `balance > 100`, `emotion == 'angry'`,
    `filled('pin')`. See docs/flows.md for the names and operators."""
    goto: str
    """Node to go to when the condition holds."""


class SayVariant(_Model):
    """Words used instead of the node's own when a condition holds (first match wins)."""

    when: str = Field(min_length=1)
    """A condition, as in `if`."""
    say: str = Field(min_length=1)
    """What to say instead (of `say`, or of `prompt` in a collect node)."""


class AnswerFrom(_Model):
    """Answer the caller's free question from FAQ entries only (never invented)."""

    knowledge: Knowledge
    """The entries, usually `!include knowledge/<name>.yaml` (a file with `entries:`)."""
    min_relevance: float = Field(default=0.5, gt=0, le=1)
    """Share of the question's content words an entry must contain to be used; below it for
    every entry the bot says `no_answer` and goes to `on_no_answer`."""
    no_answer: str = Field(default=wording.ANSWER_NODE_NO_ANSWER, min_length=1)
    """Said when no entry is relevant enough (or the model finds none that answers)."""


class Node(_Model):
    """One step of the conversation. Its keys decide what it does:
    `on` = menu, `collect` = ask for a slot, `answer` = answer a free question from FAQ
    entries, `webhook` = call the support centre's system,
    `transfer` = hand to humans, `hangup` = end the call, otherwise say something and go on."""

    say: str | None = None
    """What the bot says on entering (a menu's question, a message, a goodbye). `{slot}` is
    replaced by the slot's value read for speech (`{balance}` -> "23 pounds 50")."""
    short_say: str | None = None
    """Menus: a shorter wording for frustrated or angry callers (see `emotion`); without it
    they hear just the choices."""
    say_if: list[SayVariant] = Field(default_factory=list)
    """Other words for `say` (or `prompt`) under conditions, e.g. a calmer wording when
    `emotion == 'angry'`; the first variant whose condition holds is used."""
    on: dict[str, str] | None = None
    """Menu: intent name -> node. Keypad 1..9 choose the intents in this order."""
    collect: str | None = None
    """Name of the slot this node asks for."""
    prompt: str | None = None
    """The question a `collect` (or `answer`) node asks (repeated on a retry)."""
    answer: AnswerFrom | None = None
    """Answer the caller's question (after `prompt`) from the FAQ entries given here, citing
    the entry used, then go to `next`; with no relevant entry go to `on_no_answer`. With an
    LLM configured it words the answer from the entry; without, the entry's answer is read."""
    on_no_answer: str | None = None
    """Answer nodes: node to go to when no entry answers the question (e.g. one offering a
    person); default: the agent command (a person)."""
    webhook: Webhook | None = None
    """Call the support centre's system (after `say`), fill slots from its JSON answer, then
    go to `next`; `on_failure` is taken when it fails, times out or answers nonsense."""
    on_failure: str | None = None
    """Webhook nodes: node to go to when the webhook fails (default: apologise and transfer)."""
    next: str | None = None
    """Node to go to after `say`, after the slot is filled, or after the webhook answered."""
    if_: list[Route] = Field(default_factory=list, alias="if")
    """Conditional ways out, checked in order before `next`/`branch` (say, collect and
    webhook nodes); a node with `if` and `next` but no `say` just decides where to go."""
    branch: YesNoBranch | None = None
    """For a yes/no slot: where each answer leads."""
    transfer: str | None = None
    """Queue to hand the call to (after `say`)."""
    hangup: bool = False
    """End the call after `say`."""
    help: str | None = None
    """Said when the caller asks for help here ("help", "what can I say"); default: the
    node's question again, with the menu choices or the keypad hint."""
    commands: dict[str, str] = Field(default_factory=dict)
    """Global command -> node, overriding it in this node only (e.g. `agent: billing_agent`).
    Commands: agent, repeat, help, start_over, goodbye."""
    reprompts: list[str] = Field(default_factory=list)
    """What to say after the 1st, 2nd… turn the bot did not understand (the last one is
    reused); without them the bot says "Sorry, I didn't catch that." and the prompt again."""
    no_input_prompts: list[str] = Field(default_factory=list)
    """The same after the 1st, 2nd… silence; no-input and no-match are counted separately."""
    max_retries: int = Field(default=2, ge=1, le=10)
    """Consecutive no-match (or no-input) turns before the caller is transferred."""
    on_max_retries: str | None = None
    """Node to go to past `max_retries` instead of the apology and transfer to the default
    queue (e.g. a node that transfers to a specialist queue)."""
    no_input_timeout: float = Field(default=6.0, gt=0, le=60)
    """Seconds of silence before the caller is prompted again."""
    interruptible: bool = True
    """False: what this node says (its `say`, its question, a re-prompt) is heard whole: the
    caller's speech does not cut it off, and keys pressed meanwhile are kept but stop the
    words only once the protected part has played (for a legal notice or recorded-call
    warning)."""

    @property
    def kind(self) -> NodeKind:
        """What the node does, from the keys it has (first match wins)."""
        if self.on is not None:
            return "menu"
        if self.collect is not None:
            return "collect"
        if self.answer is not None:
            return "answer"
        if self.webhook is not None:
            return "webhook"
        if self.transfer is not None:
            return "transfer"
        if self.hangup:
            return "hangup"
        return "say"

    def targets(self) -> list[str]:
        """Every node this one can lead to by its own keys (not global commands)."""
        found: list[str | None] = [*(self.on or {}).values(), *(r.goto for r in self.if_)]
        found += [self.next, self.on_failure, self.on_max_retries, self.on_no_answer]
        found += self.commands.values()
        if self.branch is not None:
            found += [self.branch.yes, self.branch.no]
        return [t for t in found if t is not None]


class FlowSpeech(_Model):
    """Speech stages for this flow, overriding the server's settings (the models must be
    installed: `voicebot models`)."""

    stt: Literal["pocketsphinx", "whisper"] | None = None
    """Speech recognition: `pocketsphinx` (grammars, embedded) or `whisper`."""
    tts: Literal["espeak", "piper"] | None = None
    """Speech synthesis: `espeak` (embedded) or `piper`."""
    llm: Literal["none", "ollama"] | None = None
    """Language model for understanding what grammars miss: `none` or `ollama`."""

    def overrides(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Flow(_Model):
    """One dialogue flow (one YAML file)."""

    flow: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    """Flow name, unique across the flows directory."""
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    """BCP-47 language tag of the flow: English only (`en`, `en-US`, `en-GB`, …), the one
    language voicebot's grammars, slot parsers, number words and built-in wording speak; any
    other is refused when the flow loads. The voice's accent is `VOICEBOT_TTS_VOICE`."""
    start: str | None = None
    """Node the call starts in; defaults to the first node."""
    queues: dict[str, Queue] = Field(default_factory=dict)
    """Human queues calls can be transferred to; the first is the default for failures."""
    routing: Routing = Field(default_factory=Routing)
    """Transfer routing: rules by intent, reason, slot values, emotion, VIP (docs/handoff.md)."""
    intents: dict[str, Intent] = Field(default_factory=dict)
    """What callers may ask for. `agent`, `repeat` and `goodbye` extend the global commands."""
    slots: dict[str, Slot] = Field(default_factory=dict)
    """Values collected from the caller."""
    speech: FlowSpeech | None = None
    """Speech stages for this flow's calls, when they differ from the server's settings."""
    emotion: EmotionPolicy = Field(default_factory=EmotionPolicy)
    """How the bot adapts to the caller's emotion: openers, shorter menus, voice, escalation
    rules and the crisis route (all on by default, except escalation rules)."""
    nodes: dict[str, Node] = Field(min_length=1)
    """The conversation steps. A node named `agent` (or `goodbye`) handles the global agent
    (or goodbye) command; without one the engine uses built-in wording."""

    @field_validator("language")
    @classmethod
    def _english_only(cls, value: str) -> str:
        if value.split("-")[0] != "en":
            raise ValueError(
                "voicebot understands and speaks English only (en, en-US, en-GB, …): its "
                "grammars, slot parsers and wording are English"
            )
        return value

    @property
    def start_node(self) -> str:
        return self.start if self.start is not None else next(iter(self.nodes))

    @property
    def default_queue(self) -> str:
        return next(iter(self.queues), DEFAULT_QUEUE)
