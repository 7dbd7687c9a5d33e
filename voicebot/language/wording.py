"""Every sentence the bot says by default, in one place: change the bot's own phrasing here.

A flow's YAML overrides most of these per node (prompts, reprompts, `say_if`, `help`, the
crisis `say`); the words below are what callers hear where the flow says nothing. The flow
models' field defaults (empathy openers, an escalation rule's and the crisis route's `say`, an
answer node's `no_answer`, a closed queue's `message`) are read from here too, so the JSON
Schema shows admins these same words.
"""

from __future__ import annotations

# -- the engine: retries and commands ------------------------------------------------------

NO_MATCH = "Sorry, I didn't catch that. "
NO_INPUT = "Sorry, I didn't hear anything. "
RETRY_SLOT = "Sorry about that, let's try again. "
TRANSFER_TO_AGENT = "Of course. Let me put you through to one of my colleagues."
GOODBYE = "Thanks for calling. Goodbye."
KEYPAD_HINT = " You can also use your phone's keypad."
OFFER_AGENT = " Or say agent to talk to a person."
CRISIS = "I'm going to connect you to someone right now who can help. Please stay on the line."
"""A crisis phrase in a flow with no `emotion.crisis` of its own."""

APOLOGY = {
    "no_match_limit": "I'm sorry, I'm having trouble understanding. "
    "Let me put you through to one of my colleagues.",
    "no_input_limit": "I'm sorry, I can't hear you. "
    "Let me put you through to one of my colleagues.",
    "backend_fault": "I'm sorry, something went wrong on our side. "
    "Let me put you through to one of my colleagues.",
}
"""Said before the transfer to the default queue when the bot gives up, by cause."""


def short_menu(choices: list[str]) -> str:
    """A menu for an impatient caller whose node has no `short_say`."""
    return "Say " + ", ".join(choices) + ", or agent."


def menu_help(choices: list[str]) -> str:
    """ "help" in a menu without its own `help`: each choice with its key."""
    keyed = [f"{choice}, press {i}" for i, choice in enumerate(choices, start=1)]
    return "You can say " + "; ".join(keyed) + "." + OFFER_AGENT


def confirm(read_back: str) -> str:
    """The read-back question of a slot that is confirmed."""
    return f"I heard {read_back}. Is that right?"


def said_back(read_back: str) -> str:
    """A value confirmed in passing (`confirm: auto`, heard surely and safe to get wrong)."""
    return f"Got it: {read_back}."


CHECK_CRISIS = (
    "It sounds like you might need some help. "
    "Would you like me to put you through to someone right now?"
)
"""Crisis words the recogniser was not sure of (or a grammar forced): offer a person."""
CHECK_DECLINED = "Sorry about that. "


def check(intent: str, phrase: str) -> str:
    """The question before a move the caller's words were not clear evidence for."""
    if intent == "crisis":
        return CHECK_CRISIS
    if intent == "goodbye":
        return "Do you want to end the call?"
    if intent == "agent":
        return "Would you like me to put you through to a person?"
    return f"Did you say {phrase}?"


NO_ANSWER = "I'm sorry, I don't know the answer to that. Shall I put you through to a colleague?"
"""The LLM found no FAQ entry that answers the caller's question."""


# -- carrying out a transfer (audio made at start-up, so it plays when the TTS failed) -------

HOLD = "Please hold while I connect you."
"""Fills a slow transfer so the caller never hears more than 2 s of silence."""
WAIT = "One moment while I look that up."
"""Fills a slow backend (a flow's webhook) after ~1 s, so the caller is not left in silence."""
TRANSFER_FAILED = "I'm sorry, I'm having trouble connecting you. Please stay on the line."
"""Said when the REST transfer failed; the after-stream route still queues the caller."""

# -- TwiML Twilio says itself ---------------------------------------------------------------

NOBODY_FREE = "I'm sorry, nobody is free to take your call. Please try again later."
"""A queue was full or nobody answered, and it has no overflow queue."""
LEAVE_A_MESSAGE = "Please leave your name and number after the tone and we will call you back."
"""Before the out-of-hours callback recording."""


# -- flow field defaults (flows/ reads them; the JSON Schema shows them) ---------------------
EMPATHY_OPENERS: dict[str, tuple[str, ...]] = {
    "frustrated": (
        "I'm sorry this has been frustrating.",
        "I understand, let's get this sorted.",
        "Sorry about the hassle.",
    ),
    "angry": (
        "I'm sorry, I can hear this has been really annoying.",
        "I understand, and I'll do my best to fix this quickly.",
        "I'm sorry about this.",
    ),
    "anxious": (
        "Don't worry, we'll sort this out together.",
        "That's okay, take your time.",
        "You're in the right place.",
    ),
    "confused": ("No problem, let me explain.", "Let's take it one step at a time."),
}
ESCALATION_SAY = "I can hear this has been difficult. Let me get you to a colleague who can help."
CRISIS_SAY = (
    "I'm going to connect you to someone right now who can help. Please stay on the line. "
    "If you are in immediate danger, please hang up and call 999."
)
ANSWER_NODE_NO_ANSWER = "I'm sorry, I don't have an answer to that."
QUEUE_CLOSED = "Our team is closed right now."
