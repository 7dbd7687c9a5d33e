"""Crisis phrases (self-harm, emergencies) that bypass the rest of the emotion estimate.

Deliberately recall-first: a false alarm costs a quick transfer, a miss could cost a life. Only
common hyperbole ("this bill is killing me", "I'd rather die than call again") is excluded.
"""

from __future__ import annotations

import re

_SELF_HARM = [
    r"\b(kill|hurt|harm|cut|cutting|hang|hanging|poison|poisoning) (myself|my self)\b",
    r"\bend(ing)? (my|it all|my own) li(fe|ves)\b",
    r"\bend it all\b",
    r"\bsuicid\w*",
    r"\b(don'?t|do not|no longer) want to (live|be alive|be here|wake up|go on)\b",
    r"\b(no|any) (point|reason) (in )?(living|to live|going on|being alive)\b",
    r"\bbetter off dead\b",
    r"\b(i|i'?m going to|i'?ll) (want to|wanna|just want to) die\b",
    r"\bi want to die\b",
    r"\boverdos\w*",
    r"\b(take|taken|swallow\w*) (all )?(my|the|these|those) (pills|tablets)\b",
    r"\bcan'?t (go on|carry on|take it) any ?more\b",
    r"\bwant (it|everything) (all )?to (end|stop)\b",
    r"\bjump (off|from) (the|a) (bridge|building|roof|cliff)\b",
    r"\b(nobody|no one|no-one) (would|will) (care|miss me|notice) if i\b",
    r"\bif i (was|were) (gone|dead)\b",
]
_EMERGENCY = [
    r"\b(fire in|on fire|is burning|are burning|flames)\b",
    r"\bthere(?:'s| is) a fire\b",
    r"\b(someone|somebody|he|she|they|my \w+) (is|'s|are|has been|have been|got) "
    r"(badly |seriously |really )?(hurt|injured|bleeding)\b",
    r"\b(bleeding (badly|heavily|a lot|everywhere)|(a lot|lots) of blood)\b",
    r"\b(smoke (is )?(coming|everywhere|filling)|full of smoke)\b",
    r"\b(call|need|send|get) (an|the) (ambulance|police|fire brigade|fire service)\b",
    r"\bambulance\b",
    r"\b(call|dial) (999|911|112|nine nine nine|nine one one)\b",
    r"\b(isn'?t|not|stopped|can'?t|cannot|is not|hardly) breath\w*",
    r"\b(i'?m|i am|he'?s|she'?s|is|having|having a) (having )?(a )?(heart attack|stroke|seizure)\b",
    r"\b(collapsed|unconscious|not responding|unresponsive)\b",
    r"\b(gas leak|smell(s|ing)? (of )?gas|smell gas)\b",
    r"\b(power|electric\w*) (line|cable|wire)s? (is |are )?(down|sparking|fallen)\b",
    r"\b(live wires?|sparking|electrocut\w*)\b",
    r"\b(breaking in(to)?|broken in(to)?|break-in|intruders?|burglar\w*)\b",
    r"\b(threaten\w* me|attack\w* me|being attacked|assault\w*|knife|gun|weapon)\b",
]
# Hyperbole and admin talk that shares words with the patterns above.
_NOT_CRISIS = [
    r"\b(rather|might as well|could) die (than|of)\b",
    r"\bdie of old age\b",
    r"\b(nearly|almost|practically|about to|going to) (gave|give|giving) me a heart attack\b",
    r"\bgave me a heart attack\b",
    r"\bsuicide (prevention|hotline|helpline|line)\b",
    r"\bbleeding (me|us) dry\b",
]

_RULES: list[tuple[str, re.Pattern[str]]] = [
    *((kind, re.compile(p)) for kind, ps in (("self_harm", _SELF_HARM),) for p in ps),
    *((kind, re.compile(p)) for kind, ps in (("emergency", _EMERGENCY),) for p in ps),
]
_EXCLUDE = [re.compile(p) for p in _NOT_CRISIS]


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def detect_crisis(text: str) -> str | None:
    """The crisis kind ("self_harm" or "emergency") the caller's words signal, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    clean = _normalise(text)
    for exclude in _EXCLUDE:
        clean = exclude.sub(" ", clean)
    for kind, pattern in _RULES:
        if pattern.search(clean):
            return kind
    return None
