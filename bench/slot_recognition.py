"""How well the embedded recogniser hears each typed slot over the phone, and print figures.

Every phrase is spoken by three espeak-ng voices, resampled to 8 kHz, μ-law encoded and
decoded (what Twilio delivers), then decoded by pocketsphinx against the slot's grammar and
read by the slot's parser. A hit is the value the parser reads from the phrase as written.
Prints hits per slot type and each miss (what was said, what was heard). Synthesis is
repeatable, so the figures are too. Usage: python bench/slot_recognition.py [--voices …]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import date

from voicebot import logs
from voicebot.audio.codec import TELEPHONE_RATE
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.dialogue.slots import parse_slot
from voicebot.flows.slot_types import SlotType
from voicebot.speech.recognizer import PocketsphinxRecognizer
from voicebot.tools.replay.audio import synthesise

TODAY = date(2026, 11, 21)
OPTIONS = (
    ("credit_card", ("card", "credit card", "visa")),
    ("direct_debit", ("direct debit", "from my bank")),
    ("cheque", ("by post",)),
)
PHRASES: dict[SlotType, tuple[str, ...]] = {
    "digits": ("one two three four", "four oh three two eight", "double five one eight",
               "two oh one four three"),
    "yes_no": ("yes", "no", "yes please", "no thanks", "correct", "nope", "that's right",
               "that's wrong"),
    "number": ("two hundred and forty", "twenty three", "one thousand two hundred and fifty"),
    "currency": ("twenty three fifty", "twelve pounds forty", "a hundred and five pounds",
                 "fifty pence"),
    "date": ("the fifth of march", "next tuesday", "tomorrow", "the twenty first of june",
             "the day after tomorrow"),
    "time": ("quarter to five", "half past three", "ten o'clock in the morning", "noon",
             "twenty five past eleven"),
    "choice": ("the second one", "credit card", "by post", "direct debit"),
    "phone": ("oh one two three four five eight two three four five",
              "oh two oh seven nine four six oh oh one eight"),
    "postcode": ("s w one a two a a", "m one one a a", "e c one a one b b",
                 "b thirty three eight t h"),
    "email": ("j dot s m i t h at example dot com", "b o b at gmail dot com",
              "j o dash b at yahoo dot org"),
}  # fmt: skip


def expectation(slot_type: SlotType) -> Expectation:
    length = (4, 6) if slot_type == "digits" else (1, 1)  # up to 6: "double five" allowed
    slot = SlotExpectation(
        name="s", type=slot_type, options=OPTIONS, min_length=length[0], max_length=length[1]
    )
    return Expectation(node=slot_type, intents={"agent": ("agent", "operator")}, slot=slot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voices", nargs="+", default=["en-us", "en-us+m3", "en-gb"])
    args = parser.parse_args()
    logs.configure("ERROR")
    recognizer = PocketsphinxRecognizer()
    hits: dict[str, int] = defaultdict(int)
    misses: list[str] = []
    for slot_type, phrases in PHRASES.items():
        expect = expectation(slot_type)
        for phrase in phrases:
            wanted = parse_slot(slot_type, phrase, today=TODAY, options=OPTIONS)
            for voice in args.voices:
                audio = synthesise(phrase, voice, rate=150)
                result = recognizer.recognize(audio, TELEPHONE_RATE, expect)
                heard = "" if result.rejected else result.text
                value = parse_slot(slot_type, heard, today=TODAY, options=OPTIONS)
                if value is not None and value == wanted:
                    hits[slot_type] += 1
                else:
                    misses.append(f"  {slot_type:9} {voice:9} said {phrase!r}: "
                                  f"heard {heard or '(rejected)'!r} -> {value}")  # fmt: skip
    print(f"typed slots on the embedded recogniser ({', '.join(args.voices)}; μ-law):")
    for slot_type, phrases in PHRASES.items():
        total = len(phrases) * len(args.voices)
        print(f"  {slot_type:9} {hits[slot_type]:2}/{total}")
    print(f"misses ({len(misses)}):")
    print("\n".join(misses))


if __name__ == "__main__":
    main()
