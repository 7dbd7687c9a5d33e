"""Compile what a dialogue node expects into a JSGF grammar for the embedded recogniser.

Menus and digit/yes-no slots are built here; the other typed slots' rules are in
`slot_grammars`.

Pure: no audio, no decoder; the pronunciation dictionary is only read to report missing words.
"""

from __future__ import annotations

from collections.abc import Collection

from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.language.pronunciation import cmudict_words, normalize_phrase
from voicebot.language.words import DIGIT_WORDS
from voicebot.speech import slot_grammars

# Callers confirm in many ways; every phrase here is in cmudict as spelled ("that's" included).
YES_PHRASES = (
    "yes", "yeah", "yep", "yup", "yes please", "yes it is", "yes that's right", "correct",
    "that's correct", "that's right", "right", "sure", "absolutely", "okay",
)  # fmt: skip
NO_PHRASES = (
    "no", "nope", "nah", "no thanks", "no it isn't", "no it's not", "not right",
    "that's not right", "that's wrong", "wrong", "incorrect", "no that's wrong",
)  # fmt: skip

# "double five" makes pocketsphinx expand every length split separately (Fibonacci growth):
# measured on 8-digit turns it doubled decode time (~500 vs ~270 ms) for no accuracy gain,
# so only short codes (PINs, extensions) get it.
MAX_LENGTH_WITH_DOUBLE = 6


def _intent_phrases(expect: Expectation) -> list[str]:
    seen: dict[str, None] = {}
    for phrases in expect.intents.values():
        for phrase in phrases:
            normalized = normalize_phrase(phrase)
            if normalized:
                seen[normalized] = None
    return list(seen)


def _digits_rules(slot: SlotExpectation) -> list[str]:
    low, high = max(1, slot.min_length), max(1, slot.min_length, slot.max_length)
    rules = [f"<digit> = {' | '.join(DIGIT_WORDS)} | oh;"]
    if high <= MAX_LENGTH_WITH_DOUBLE:
        # <d_n> is exactly n digits, where "double <digit>" counts as two.
        rules.append("<d_1> = <digit>;")
        if high >= 2:
            rules.append("<d_2> = <digit> <digit> | double <digit>;")
        for n in range(3, high + 1):
            rules.append(f"<d_{n}> = <digit> <d_{n - 1}> | double <digit> <d_{n - 2}>;")
        lengths = " | ".join(f"<d_{n}>" for n in range(low, high + 1))
        rules.append(f"<digits> = {lengths};")
    else:
        # Without doubles the length range is a plain run with optional tail digits.
        optional = "".join(" [<digit>" for _ in range(high - low)) + "]" * (high - low)
        rules.append(f"<digits> = {' '.join(['<digit>'] * low)}{optional};")
    return rules


def _yes_no_rules() -> list[str]:
    return [f"<yes_no> = {' | '.join(YES_PHRASES + NO_PHRASES)};"]


def _slot_rules(slot: SlotExpectation | None) -> tuple[str, list[str]] | None:
    """(top rule, rules) for the slot, or None when it has nothing to decode against.

    free_text has no grammar: its words are open, so the node is decoded with the open
    vocabulary model instead (`Expectation.free_speech`), never against a grammar.
    """
    if slot is None or slot.type == "free_text":
        return None
    if slot.type == "digits":
        return "<digits>", _digits_rules(slot)
    if slot.type == "yes_no":
        return "<yes_no>", _yes_no_rules()
    if slot.type == "choice":
        rules = slot_grammars.choice_rules(slot, normalize_phrase)
        return ("<choice>", rules) if rules else None
    builders = {
        "number": slot_grammars.number_rules,
        "currency": slot_grammars.currency_rules,
        "date": slot_grammars.date_rules,
        "time": slot_grammars.time_rules,
        "phone": slot_grammars.phone_rules,
        "email": slot_grammars.email_rules,
        "postcode": slot_grammars.postcode_rules,
    }
    return f"<{slot.type}>", builders[slot.type](slot)


def _question_rules(expect: Expectation) -> list[str]:
    """An answer node's FAQ questions, or one to three of its keywords ("meter reading");
    only what the dictionary can pronounce (FAQ text is prose, not a checked grammar)."""
    known = cmudict_words() if expect.questions else frozenset()
    usable = [normalize_phrase(q) for q in expect.questions]
    usable = [q for q in dict.fromkeys(usable) if q and all(w in known for w in q.split())]
    keywords = [q for q in usable if " " not in q]
    rules = []
    if usable:
        rules.append(f"<faq> = {' | '.join(usable)};")
    if keywords:
        rules.append(f"<keyword> = {' | '.join(keywords)};")
        rules.append("<keywords> = <keyword> [<keyword>] [<keyword>];")
    return rules


def compile_jsgf(expect: Expectation) -> str:
    """JSGF whose one public rule accepts every intent phrase and the node's slot values
    (and an answer node's FAQ questions).

    A free_text slot adds nothing (see `_slot_rules`). Raises ValueError when the node
    expects nothing that can be spoken against a grammar (DTMF only, or free text alone).
    """
    alternatives: list[str] = []
    rules: list[str] = []
    phrases = _intent_phrases(expect)
    if phrases:
        alternatives.append("<intent>")
        rules.append(f"<intent> = {' | '.join(phrases)};")
    questions = _question_rules(expect)
    if questions:
        alternatives += ["<faq>", "<keywords>"] if len(questions) > 1 else ["<faq>"]
        rules += questions
    slot = _slot_rules(expect.slot)
    if slot is not None:
        alternatives.append(slot[0])
        rules.extend(slot[1])
    if not alternatives:
        raise ValueError(f"node {expect.node!r} expects no speech to compile a grammar from")
    header = [
        "#JSGF V1.0;",
        "grammar voicebot;",
        f"public <utterance> = {' | '.join(alternatives)};",
    ]
    return "\n".join(header + rules) + "\n"


def grammar_words(expect: Expectation) -> set[str]:
    """Every word the compiled grammar for `expect` can produce."""
    words: set[str] = set()
    for phrase in _intent_phrases(expect):
        words.update(phrase.split())
    slot = _slot_rules(expect.slot)
    if slot is not None:
        words.update(slot_grammars.rule_words(slot[1]))
    return words


def missing_words(expect: Expectation, dictionary: Collection[str] | None = None) -> set[str]:
    """Grammar words the pronunciation dictionary (cmudict by default) cannot pronounce."""
    known = dictionary if dictionary is not None else cmudict_words()
    return {word for word in grammar_words(expect) if word not in known}
