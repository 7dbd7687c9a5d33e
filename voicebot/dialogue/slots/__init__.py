"""Pure parsers for slot values callers speak or key, and their telephone read-back.

Input is a recogniser transcript (or typed text in flow tests, or a canonical value handed
back by an LLM); output is the slot's canonical string. Nothing here knows about audio, flows
or the engine. One module per concern; everything is re-exported here.
"""

from voicebot.dialogue.slots.choice import parse_choice
from voicebot.dialogue.slots.contact import parse_email, parse_phone, parse_postcode
from voicebot.dialogue.slots.dates import parse_date, parse_time
from voicebot.dialogue.slots.digits import chunk_digits, parse_digits
from voicebot.dialogue.slots.dispatch import SLOT_TYPES, parse_slot
from voicebot.dialogue.slots.free_text import parse_free_text
from voicebot.dialogue.slots.numbers import parse_currency, parse_number
from voicebot.dialogue.slots.readback import read_back
from voicebot.dialogue.slots.yes_no import parse_yes_no

__all__ = [
    "SLOT_TYPES",
    "chunk_digits",
    "parse_choice",
    "parse_currency",
    "parse_date",
    "parse_digits",
    "parse_email",
    "parse_free_text",
    "parse_number",
    "parse_phone",
    "parse_postcode",
    "parse_slot",
    "parse_time",
    "parse_yes_no",
    "read_back",
]
