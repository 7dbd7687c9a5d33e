"""What upset, worried or frightened callers say instead of a menu choice.

A turn the node's grammar rejects is decoded once more against these phrases, so the emotion
tracker (and the crisis route) hear "this is ridiculous" or "I want to end my life" instead of
a bare no-match. A second pass rather than extra alternatives in every grammar: measured,
adding them to the node grammars made short answers ("agent") lose to them.
"""

from __future__ import annotations

FEELING_PHRASES = (
    "this is ridiculous", "this is a joke", "this is useless", "you're useless",
    "i am fed up", "i'm fed up", "i am fed up with this", "i'm fed up with this",
    "this is the third time i've called", "i've called three times", "i'm so annoyed",
    "i want to cancel my account", "i want to make a complaint",
    "i'm worried", "i'm really worried", "i'm scared", "i'm confused", "i don't understand",
    "thank you so much", "that's great",
    "i want to end my life", "i want to kill myself", "i don't want to live",
    "i can smell gas", "there's a fire", "someone is hurt",
)  # fmt: skip

FEELINGS_JSGF = (
    f"#JSGF V1.0;\ngrammar feelings;\npublic <feeling> = {' | '.join(FEELING_PHRASES)};\n"
)
