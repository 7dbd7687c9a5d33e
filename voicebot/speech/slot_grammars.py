"""JSGF rules for the typed slots (numbers, money, dates, times, choices, contact details).

Each builder returns the rules of one slot type, whose top rule the grammar compiler offers
beside the node's intents. Every word here is in the pocketsphinx dictionary (the tests check
each type with `missing_words`), and each sentence is one the matching parser in
`voicebot.dialogue.slots` reads. Lengths are left open where counting them would multiply the
grammar (see `MAX_LENGTH_WITH_DOUBLE`): the parser checks them instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from voicebot.dialogue.actions import SlotExpectation
from voicebot.language.words import (
    DIGIT_WORDS,
    MONTHS,
    ORDINAL_WORDS,
    TEEN_WORDS,
    TENS_WORDS,
    WEEKDAYS,
)

UNITS = DIGIT_WORDS[1:]
ORDINALS = ORDINAL_WORDS[:19]  # first … nineteenth
LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")
NATO = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "x-ray", "yankee", "zulu",
)  # fmt: skip
EMAIL_DOMAINS = (
    "gmail", "hotmail", "outlook", "yahoo", "icloud", "live", "aol", "example",
)  # fmt: skip
EMAIL_SUFFIXES = ("com", "co", "uk", "org", "net", "gov", "ac", "edu", "info", "io")
# "quid" and "p" are left out though the parser reads them: measured, "twenty three fifty"
# decoded as "twenty three quid" while they were in.
CURRENCY_WORDS = {
    "GBP": (("pounds", "pound"), ("pence",)),
    "USD": (("dollars", "dollar", "bucks"), ("cents", "cent")),
    "EUR": (("euros", "euro"), ("cents", "cent")),
}
MAX_PHONE_DIGITS = 15
MAX_EMAIL_RUN = 6
MAX_CHOICE_POSITIONS = 9

_RULE_REF = re.compile(r"<[^>]+>")


def alt(words: tuple[str, ...] | list[str]) -> str:
    return " | ".join(words)


def _number_rules() -> list[str]:
    """<n99> is 1..99 and <n999> 1..999 as said ("a hundred and five"); <n6> up to 999,999."""
    return [
        f"<units> = {alt(UNITS)};",
        f"<teens> = {alt(TEEN_WORDS)};",
        f"<tens> = {alt(TENS_WORDS)};",
        "<n99> = <units> | <teens> | <tens> [<units>];",
        "<n999> = <n99> | (a | <units>) hundred [[and] <n99>];",
        "<n6> = <n999> | (a | <n999>) thousand [[and] <n999>];",
    ]


def number_rules(_slot: SlotExpectation) -> list[str]:
    return [
        *_number_rules(),
        f"<fraction> = point ({alt(DIGIT_WORDS)}) [{alt(DIGIT_WORDS)}];",
        "<number> = [minus] (zero | <n6> [<fraction> | and a half]) | <fraction> | [a] half;",
    ]


def currency_rules(slot: SlotExpectation) -> list[str]:
    major, minor = CURRENCY_WORDS.get(slot.currency.upper(), CURRENCY_WORDS["GBP"])
    return [
        *_number_rules(),
        "<cents> = <teens> | <tens> [<units>] | oh <units>;",
        f"<major> = {alt(major)};",
        f"<minor> = {alt(minor)};",
        # "twenty three pounds fifty", "twenty three fifty", "fifty pence", "a hundred pounds"
        "<currency> = <n6> [<major> [[and] (<cents> | <units>) [<minor>]]]"
        " | <n6> <cents> | <n99> <minor>;",
    ]


def date_rules(_slot: SlotExpectation) -> list[str]:
    day_ordinals = ORDINALS + ("twentieth", "thirtieth")
    return [
        f"<weekday> = {alt(WEEKDAYS)};",
        f"<month> = {alt(MONTHS)};",
        f"<unit_ordinal> = {alt(ORDINALS[:9])};",
        f"<day> = {alt(day_ordinals)} | twenty <unit_ordinal> | thirty first;",
        "<year_tail> = <teens> | (twenty | thirty | forty | fifty | sixty | seventy | eighty"
        f" | ninety) [{alt(UNITS)}] | oh ({alt(UNITS)});",
        f"<teens> = {alt(TEEN_WORDS)};",
        "<year> = (nineteen | twenty) <year_tail> | two thousand [[and] (<year_tail> | "
        f"{alt(UNITS)})];",
        f"<count> = {alt(UNITS)} | {alt(TEEN_WORDS)} | twenty | thirty;",
        "<date> = today | tomorrow | yesterday | the day after tomorrow"
        " | [on] [this | next] <weekday>"
        " | [on] the <day> [of <month> [<year>]]"
        " | [on] <month> [the] <day> [<year>]"
        " | in <count> (days | weeks) | in a week | in a fortnight | a week (today | tomorrow);",
    ]


def time_rules(_slot: SlotExpectation) -> list[str]:
    hours = UNITS + ("ten", "eleven", "twelve")
    return [
        f"<hour> = {alt(hours)};",
        f"<units> = {alt(UNITS)};",
        "<minute> = (twenty | thirty | forty | fifty) [<units>] | ten | eleven | twelve"
        " | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen"
        " | oh <units>;",
        "<ampm> = a.m. | p.m. | in the morning | in the afternoon | in the evening | at night;",
        "<ahead> = half | [a] quarter | (five | ten | twenty | twenty five) [minutes];",
        "<hour24> = thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen"
        " | twenty [one | two | three];",
        "<time> = noon | midday | midnight | twelve noon"
        " | [at] <hour> [<minute> | o'clock] [<ampm>]"
        " | <ahead> (past | to) <hour> [<ampm>] | half <hour> [<ampm>]"
        " | <hour24> (hundred [hours] | <minute>);",
    ]


def choice_rules(slot: SlotExpectation, normalize: Callable[[str], str]) -> list[str]:
    phrases: dict[str, None] = {}
    for value, synonyms in slot.options:
        for phrase in (value, *synonyms):
            normalized = normalize(phrase)
            if normalized:
                phrases[normalized] = None
    count = min(len(slot.options), MAX_CHOICE_POSITIONS)
    if count == 0:
        return []
    positions = alt(ORDINALS[:count])
    numbers = alt(UNITS[:count])
    return [
        f"<choice> = {alt(list(phrases)) + ' | ' if phrases else ''}"
        f"[the] ({positions}) [one] | [number | option] ({numbers});",
    ]


def phone_rules(_slot: SlotExpectation) -> list[str]:
    # A run of 7 to 15 digits, "double five" counting as one step: the parser checks the real
    # 7-15 digit length, which counting here would multiply the grammar by. No "triple":
    # measured, it slowed every turn for a word callers seldom say.
    optional = "".join(" [<pdigit>" for _ in range(MAX_PHONE_DIGITS - 7)) + "]" * (
        MAX_PHONE_DIGITS - 7
    )
    return [
        f"<pd> = {alt(DIGIT_WORDS)} | oh;",
        "<pdigit> = <pd> | double <pd>;",
        f"<phone> = [plus] {' '.join(['<pdigit>'] * 6)}{optional};",
    ]


def email_rules(_slot: SlotExpectation) -> list[str]:
    # Spelled addresses decode poorly and slowly on this model (measured on espeak audio over
    # mu-law, 3 addresses x 3 voices: 0 of 9 right, "gmail" heard as letters, 0.6-16 s a
    # turn, the worst when a part is a word like "smith"). `+` loops over the letters took
    # 10-27 s; bounded runs are faster on spelled parts (4 letters ~1-1.4 s, 6 ~1.9-3.7 s,
    # 8 ~2.6-4.8 s) but even 3 took 4.4 s on "j dot smith". Six is the compromise. NATO
    # words are left out for speed (the parser still reads them from open transcripts).
    run = (
        "<echar>"
        + "".join(" [<echar>" for _ in range(MAX_EMAIL_RUN - 1))
        + "]" * (MAX_EMAIL_RUN - 1)
    )
    return [
        f"<echar> = {alt(LETTERS)} | {alt(DIGIT_WORDS)};",
        f"<part> = {run};",
        "<local> = <part> [(dot | underscore | dash) <part>];",
        f"<label> = {alt(EMAIL_DOMAINS)} | <part>;",
        f"<suffix> = {alt(EMAIL_SUFFIXES)};",
        "<email> = <local> at <label> dot <suffix> [dot <suffix>];",
    ]


def postcode_rules(_slot: SlotExpectation) -> list[str]:
    # Measured on espeak audio over mu-law (4 postcodes x 3 voices): 0 of 12 right, letters
    # misheard ("m one one a a" as "m one one i a") or the turn rejected; 0.5-3 s per turn.
    return [
        f"<pl> = {alt(LETTERS)} | {alt(NATO)};",
        f"<pdig> = {alt(DIGIT_WORDS)} | oh;",
        f"<pcode_units> = {alt(UNITS)};",
        f"<pnum> = <pdig> [<pdig>] | {alt(TEEN_WORDS)} | (twenty | thirty | forty | fifty | sixty"
        " | seventy | eighty | ninety) [<pcode_units>];",
        "<outward> = <pl> [<pl>] <pnum> [<pl>] | double <pl> <pnum>;",
        "<inward> = <pdig> (<pl> <pl> | double <pl>);",
        "<postcode> = <outward> <inward>;",
    ]


def rule_words(rules: list[str]) -> set[str]:
    """Every word the rules can produce: their bodies without rule names and operators."""
    words: set[str] = set()
    for rule in rules:
        body = rule.split("=", 1)[1]
        words.update(re.findall(r"[a-z][a-z.'-]*", _RULE_REF.sub(" ", body)))
    return words
