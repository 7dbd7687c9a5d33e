"""Yes/no answers in the many ways callers say them."""

from __future__ import annotations

from voicebot.language.words import words

# Decisive phrases, matched at each word position (longest first); the earliest one wins, so
# "no that's right" is no and "that's not right" is no ("not right" starts before "right").
# fmt: off
_YES = (
    "yes", "yeah", "yea", "yep", "yup", "ya", "aye", "correct", "thats correct", "thats right",
    "that is right", "that is correct", "right", "sure", "ok", "okay", "affirmative",
    "absolutely", "of course", "indeed", "certainly", "definitely", "uh huh", "mm hmm",
    "sounds good", "please do", "go ahead", "it is", "i do", "exactly", "yes please", "true",
    "spot on", "thats it", "that is it", "perfect", "please", "i would", "i am", "it does",
    "it was", "i did", "yes it is", "by all means", "why not",
)
_NO = (
    "no", "nope", "nah", "not right", "not correct", "thats wrong", "wrong", "incorrect",
    "negative", "no thanks", "not really", "i dont", "it isnt", "thats not", "that is not",
    "not that", "nothing", "never", "false", "no way", "its not", "it is not", "isnt right",
    "isnt correct", "not quite", "i didnt", "it doesnt", "it wasnt", "i wouldnt", "im not",
    "i am not", "no thank you", "not at all", "dont", "do not", "mistake", "not it",
)
# Hedges decide "no answer yet" rather than letting a later word ("sure") decide.
_UNSURE = (
    "not sure", "dont know", "maybe", "perhaps", "no idea", "im unsure", "unsure",
    "possibly", "not certain", "dunno", "cant remember", "i forget", "i dont know",
    "im not sure", "i am not sure", "i dont remember", "i cant remember",
)
# fmt: on
_CANONICAL = {"yes": True, "no": False, "true": True, "false": False}

_YES_NO_PHRASES = sorted(
    [(p.split(), True) for p in _YES]
    + [(p.split(), False) for p in _NO]
    + [(p.split(), None) for p in _UNSURE],
    key=lambda entry: -len(entry[0]),
)


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None if `text` does not answer a yes/no question.

    Keypad: 1 is yes and 2 is no, the usual IVR convention ("press 1 for yes").
    """
    tokens = words(text)
    if tokens in (["1"], ["2"]):
        return tokens == ["1"]
    if len(tokens) == 1 and tokens[0] in _CANONICAL:
        return _CANONICAL[tokens[0]]
    for i in range(len(tokens)):
        for phrase, answer in _YES_NO_PHRASES:
            if tokens[i : i + len(phrase)] == phrase:
                return answer
    return None
