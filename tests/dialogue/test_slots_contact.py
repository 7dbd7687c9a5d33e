"""Phone numbers, e-mail addresses and UK postcodes, spoken letter by letter or typed."""

from __future__ import annotations

import pytest

from voicebot.dialogue.slots import parse_email, parse_phone, parse_postcode


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("oh two oh seven nine four six oh oh one eight", "02079460018"),
        ("zero two zero seven nine four six zero zero one eight", "02079460018"),
        ("oh two oh seven nine four six double oh one eight", "02079460018"),
        ("oh seven seven double nine triple oh one two three", "07799000123"),
        ("plus four four seven seven double nine one two three four five six", "+447799123456"),
        ("+44 20 7946 0018", "+442079460018"),
        ("(020) 7946-0018", "02079460018"),
        ("020 7946 0018", "02079460018"),
        ("oh eight hundred one two three four five six seven", "08001234567"),
        ("my number is oh one one three four nine six oh four one two", "01134960412"),
        ("five five five one two three four", "5551234"),
        ("02079460018", "02079460018"),
        ("+447799123456", "+447799123456"),
    ],
)
def test_parse_phone_reads_numbers_as_callers_say_them(said: str, phone: str) -> None:
    assert parse_phone(said) == phone


@pytest.mark.parametrize(
    "said",
    [
        "",
        "my phone",
        "one two three",  # too short
        "1234567890123456",  # too long
        "five hundred",
        "one two three plus four five six seven",
    ],
)
def test_parse_phone_refuses_what_is_not_a_phone_number(said: str) -> None:
    assert parse_phone(said) is None


@pytest.mark.parametrize(
    ("said", "email"),
    [
        ("j dot smith at example dot com", "j.smith@example.com"),
        ("j o h n at gmail dot com", "john@gmail.com"),
        ("john underscore smith at hotmail dot co dot uk", "john_smith@hotmail.co.uk"),
        ("mary dash jones at outlook dot com", "mary-jones@outlook.com"),
        ("mary hyphen jones at yahoo dot com", "mary-jones@yahoo.com"),
        ("juliet oscar hotel november at gmail dot com", "john@gmail.com"),
        ("victor at example dot org", "victor@example.org"),
        ("b e double l at example dot net", "bell@example.net"),
        ("j for juliet smith at example dot com", "jsmith@example.com"),
        ("my email is j smith one two three at example dot com", "jsmith123@example.com"),
        ("it's anna at example dot co dot uk", "anna@example.co.uk"),
        ("kat at example dot com", "kat@example.com"),
        ("J.Smith@Example.com", "j.smith@example.com"),
        ("j.smith@example.com", "j.smith@example.com"),
        ("my address is j.smith@example.com.", "j.smith@example.com"),
        ("capital j smith at example dot com", "jsmith@example.com"),
        ("j smith at sign example dot com", "jsmith@example.com"),
        ("john full stop smith at example dot com", "john.smith@example.com"),
        ("johnsmith all one word at gmail dot com", "johnsmith@gmail.com"),
        ("j dot smith at example dot com please", "j.smith@example.com"),
        ("it's john at example dot com thank you", "john@example.com"),
    ],
)
def test_parse_email_reads_spelled_addresses(said: str, email: str) -> None:
    assert parse_email(said) == email


@pytest.mark.parametrize(
    "said",
    [
        "",
        "j smith",
        "j smith at example",  # no domain dot
        "at example dot com",  # nobody before the at
        "j dot dot smith at example dot com",
        "j smith at example dot c",
        "j smith at dot com",
        "a@b",
        "j..smith@example.com",
    ],
)
def test_parse_email_refuses_what_is_not_an_address(said: str) -> None:
    assert parse_email(said) is None


@pytest.mark.parametrize(
    ("said", "postcode"),
    [
        ("s w one a two a a", "SW1A 2AA"),
        ("sierra whiskey one alpha two alpha alpha", "SW1A 2AA"),
        ("s w one a two double a", "SW1A 2AA"),
        ("sw1a2aa", "SW1A 2AA"),
        ("SW1A 2AA", "SW1A 2AA"),
        ("sw1a 2aa", "SW1A 2AA"),
        ("m one one a a", "M1 1AA"),
        ("b thirty three eight t h", "B33 8TH"),
        ("c r two six x h", "CR2 6XH"),
        ("d n fifty five one p t", "DN55 1PT"),
        ("e c one a one b b", "EC1A 1BB"),
        ("w one a oh a x", "W1A 0AX"),  # "oh" is zero where only a digit fits
        ("my postcode is l s one one u x", "LS1 1UX"),
        ("s w nineteen five a b", "SW19 5AB"),
        ("see are two six ex aitch", "CR2 6XH"),  # letter names from an open recogniser
        ("GIR 0AA", "GIR 0AA"),
        # as whisper writes a spoken postcode
        ("My postcode is SW1A 2AA.", "SW1A 2AA"),
        ("It's LS2 7EU, thanks", "LS2 7EU"),
        ("I think it's SW1A 2AA", "SW1A 2AA"),  # the word "I" read as a letter would spoil it
        ("NW3 for RP.", "NW3 4RP"),  # "four" written as the word it sounds like
        ("it's to do with BS8 1TH", "BS8 1TH"),  # a sound-alike left as a word
        ("M1-1-8E.", "M1 1AE"),  # the letter A written as 8
        ("0x1, 2jd.", "OX1 2JD"),  # the letter O written as 0
        ("B S A 1 T H.", "BS8 1TH"),  # eight written as the letter A
        ("be one, one be be.", "B1 1BB"),
        ("it would be s w one a two a a", "SW1A 2AA"),  # "be" the word, not the letter
        ("b thirty three eight t h", "B33 8TH"),  # but a real 8 stays 8
        ("L-S-2, 7-D-U", "LS2 7DU"),
    ],
)
def test_parse_postcode_reads_spoken_and_typed_postcodes(said: str, postcode: str) -> None:
    assert parse_postcode(said) == postcode


@pytest.mark.parametrize(
    "said",
    [
        "",
        "i don't know",
        "s w one a",  # outward code only
        "q one one a a",  # no postcode starts with Q
        "s w one a two c i",  # C and I never end one
        "12345",
        "sw1a2aaa",
        "I want to go for a walk",
        "SW1A 2AA or NW3 4RP",  # two postcodes: which one?
        "CFN, 3NQ.",
        "my post is going to be an E1 or a SE",  # the word "a" is not a spelled eight
    ],
)
def test_parse_postcode_refuses_impossible_shapes(said: str) -> None:
    assert parse_postcode(said) is None
