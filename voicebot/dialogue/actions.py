"""What the dialogue engine hears (events) and what it asks the shell to do (actions).

These plain dataclasses are the one boundary between the pure engine and everything with I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicebot.dialogue.matcher import Match
from voicebot.flows.emotion_policy import Estimate
from voicebot.flows.knowledge import Entry
from voicebot.flows.slot_types import SlotType

# ---------------------------------------------------------------------------------------------
# What the engine expects next: the STT compiles its grammar from this.


@dataclass(frozen=True)
class SlotExpectation:
    """A slot the caller is asked to fill in the current node."""

    name: str
    type: SlotType
    min_length: int = 1
    max_length: int = 1
    """Digit count bounds (digits slots)."""
    sensitive: bool = False
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Choice slots: (value, synonyms) pairs; the value itself is also a phrase."""
    currency: str = "GBP"
    """Currency slots: ISO code deciding the words (pounds/pence, dollars/cents)."""


@dataclass(frozen=True)
class Expectation:
    """What the current node can understand: the recogniser decodes against exactly this."""

    node: str
    intents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Intent name -> phrases that express it (node menu and global commands)."""
    slot: SlotExpectation | None = None
    dtmf: bool = True
    """Keypad digits are accepted (always for menus and digit slots)."""
    free_speech: bool = False
    """The node takes open speech: decode with the open-vocabulary model."""
    questions: tuple[str, ...] = ()
    """Answer nodes: the FAQ's questions and keywords; the recogniser tries these first and
    takes open speech when the caller asks something else."""
    no_input_timeout: float = 6.0


# ---------------------------------------------------------------------------------------------
# Events: what happened on the call.


@dataclass(frozen=True)
class CallStarted:
    call_sid: str
    caller: str | None = None


@dataclass(frozen=True)
class Utterance:
    """A caller turn as recognised (transcript plus what the recogniser matched)."""

    text: str
    confidence: float = 1.0
    intent: str | None = None
    """An intent already understood elsewhere (the LLM fallback); the engine checks that the
    node expects it instead of matching `text`."""
    slot_text: str | None = None
    """A slot value already extracted elsewhere (the LLM fallback), in any form the slot's
    parser reads; it goes through that parser, so an invalid value is a no-match."""
    emotion: Estimate | None = None
    """The caller's emotion in this turn (words, voice and behaviour), if estimated."""
    open_vocabulary: bool = False
    """`text` is what an open-vocabulary recogniser (whisper) heard, not the nearest phrase of
    a grammar: only such a transcript is evidence for a crisis route or an unchecked move."""
    match: Match | None = None
    """The intent matcher's reading of an open-vocabulary `text` (computed by the shell)."""


@dataclass(frozen=True)
class DtmfDigit:
    digit: str


@dataclass(frozen=True)
class NoInput:
    """The caller said nothing within the node's timeout."""


@dataclass(frozen=True)
class BackendFault:
    """A speech or backend component failed; the engine apologises and transfers."""

    stage: str
    retryable: bool = False


@dataclass(frozen=True)
class WebhookResult:
    """The answer to the engine's last `CallWebhook`: `data` is the parsed JSON on success."""

    ok: bool
    data: object = None
    error: str = ""
    """Why it failed, for the record (timeout, HTTP 500, not JSON…)."""
    status: int | None = None
    """The HTTP status of an error answer."""

    @property
    def backend_fault(self) -> bool:
        """Failed because the backend is down or broken (no answer, a 5xx, garbage), rather
        than because it answered no (a 4xx, such as an unknown account)."""
        return not self.ok and not (self.status is not None and 400 <= self.status < 500)


@dataclass(frozen=True)
class Answered:
    """The answer to the engine's last `AskKnowledge`."""

    text: str
    """What to say (ignored when `entry_id` is None: the node's `no_answer` is said)."""
    entry_id: str | None
    """The entry the answer came from; None: no entry answers the question."""
    source: str = "entry"
    """How it was worded: `llm` (checked against the entry) or `entry` (its own answer)."""


@dataclass(frozen=True)
class HangUp:
    """The caller hung up or the stream ended."""

    reason: str = "caller_hung_up"


Event = (
    CallStarted | Utterance | DtmfDigit | NoInput | BackendFault | WebhookResult | Answered | HangUp
)

# ---------------------------------------------------------------------------------------------
# Actions: what the engine asks the shell to do, in order.


@dataclass(frozen=True)
class Say:
    text: str
    style: str = "neutral"
    """Prosody for the TTS (the flow's emotion styles); `neutral` is the voice's default."""
    private: bool = False
    """The text carries a sensitive slot value: records and logs get a mask instead."""
    interruptible: bool = True
    """False: the caller's speech must not cut this text off (the node's `interruptible`)."""


@dataclass(frozen=True)
class Listen:
    expect: Expectation


@dataclass(frozen=True)
class SetSlot:
    name: str
    value: str
    sensitive: bool = False


@dataclass(frozen=True)
class Transfer:
    queue: str
    reason: str
    handoff: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CallWebhook:
    """Call the support centre's system; the shell answers with a `WebhookResult` event."""

    url: str
    """As written in the flow: `${NAME}` is expanded by the shell, from its environment."""
    method: str
    payload: dict[str, str]
    timeout: float
    headers: dict[str, str] = field(default_factory=dict)
    private: bool = False
    """The payload carries sensitive slot values: never log it."""


@dataclass(frozen=True)
class AskKnowledge:
    """Word an answer to `question` from `entries` (the relevant ones, best first); the shell
    answers with an `Answered` event (the best entry's own answer when it has no LLM)."""

    question: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class EndCall:
    """The bot ends the call (after its last Say has played)."""

    reason: str = "completed"


Action = Say | Listen | SetSlot | CallWebhook | AskKnowledge | Transfer | EndCall
