"""Dates and times of day in the many ways callers say and type them."""

from __future__ import annotations

from datetime import date

import pytest

from voicebot.dialogue.slots import parse_date, parse_time

TODAY = date(2026, 11, 21)  # a Saturday


@pytest.mark.parametrize(
    ("said", "iso"),
    [
        ("today", "2026-11-21"),
        ("tomorrow", "2026-11-22"),
        ("yesterday", "2026-11-20"),
        ("the day after tomorrow", "2026-11-23"),
        ("next tuesday", "2026-11-24"),
        ("tuesday", "2026-11-24"),
        ("this friday", "2026-11-27"),
        ("on monday please", "2026-11-23"),
        ("saturday", "2026-11-21"),  # today is one
        ("next saturday", "2026-11-28"),
        ("the fifth of march", "2027-03-05"),
        ("march the fifth", "2027-03-05"),
        ("5th March", "2027-03-05"),
        ("march 5", "2027-03-05"),
        ("march fifth", "2027-03-05"),
        ("fifth march", "2027-03-05"),
        ("the 5th of march 2028", "2028-03-05"),
        ("the fifth of march twenty twenty eight", "2028-03-05"),
        ("the fifth of march two thousand and twenty eight", "2028-03-05"),
        ("the first of december", "2026-12-01"),
        ("december the twenty fifth", "2026-12-25"),
        ("the thirty first of december", "2026-12-31"),
        ("the twenty first of november", "2026-11-21"),  # on or after today
        ("the twentieth of november", "2027-11-20"),  # passed this year: next year's
        ("twenty five december", "2026-12-25"),
        ("on the 3rd of jan", "2027-01-03"),
        ("the twenty first", "2026-11-21"),
        ("the twenty second", "2026-11-22"),
        ("the first", "2026-12-01"),
        ("the thirty first", "2026-12-31"),  # November has no 31st
        ("in three days", "2026-11-24"),
        ("in 10 days", "2026-12-01"),
        ("in two weeks", "2026-12-05"),
        ("in a week", "2026-11-28"),
        ("in a fortnight", "2026-12-05"),
        ("a week today", "2026-11-28"),
        ("a week tomorrow", "2026-11-29"),
        ("5 March 2027", "2027-03-05"),
        ("March 5th, 2027", "2027-03-05"),
        ("Friday the 5th of March", "2027-03-05"),  # as read back
        ("on the fifth", "2026-12-05"),
        ("5/3", "2027-03-05"),  # day first, the British order
        ("25/12", "2026-12-25"),
        ("5/3/2027", "2027-03-05"),
        ("05-03-27", "2027-03-05"),
        ("05032027", "2027-03-05"),  # keypad DDMMYYYY
        ("2026-03-05", "2026-03-05"),  # canonical, even in the past
        ("the twenty ninth of february", "2028-02-29"),
        ("my birthday is the fourth of july nineteen eighty four", "1984-07-04"),
    ],
)
def test_parse_date_reads_spoken_dates(said: str, iso: str) -> None:
    assert parse_date(said, TODAY) == iso


@pytest.mark.parametrize(
    "said",
    [
        "",
        "soon",
        "whenever",
        "the thirty first of february",
        "31/2",
        "2026-02-31",
        "31022027",
        "the fortieth",
        "march",
        "i may call",
        "13/13",
        "five",
        "1/1/1",  # not a year
        "in nine hundred million weeks",
        "in 99999 days",
    ],
)
def test_parse_date_refuses_no_or_impossible_dates(said: str) -> None:
    assert parse_date(said, TODAY) is None


@pytest.mark.parametrize(
    ("said", "hhmm"),
    [
        ("15:30", "15:30"),
        ("03:30", "03:30"),  # a written two-digit hour is 24-hour
        ("3:30 pm", "15:30"),
        ("3.30pm", "15:30"),
        ("3:30", "15:30"),  # 1-6 without am/pm: afternoon
        ("10:15 am", "10:15"),
        ("noon", "12:00"),
        ("midday", "12:00"),
        ("midnight", "00:00"),
        ("half past three", "15:30"),
        ("half past nine", "09:30"),
        ("half past three in the morning", "03:30"),
        ("quarter past ten", "10:15"),
        ("quarter to five", "16:45"),
        ("a quarter to twelve", "11:45"),
        ("twenty past four", "16:20"),
        ("twenty five past eleven", "11:25"),
        ("ten to nine", "08:50"),
        ("five minutes past eight", "08:05"),
        ("three thirty", "15:30"),
        ("three thirty pm", "15:30"),
        ("three thirty a m", "03:30"),
        ("three oh five", "15:05"),
        ("eleven forty five", "11:45"),
        ("ten o'clock in the morning", "10:00"),
        ("ten oclock", "10:00"),
        ("two o'clock in the afternoon", "14:00"),
        ("eight in the evening", "20:00"),
        ("nine a m", "09:00"),
        ("nine am", "09:00"),
        ("9am", "09:00"),
        ("9 p.m.", "21:00"),
        ("twelve pm", "12:00"),
        ("twelve am", "00:00"),
        ("fifteen hundred", "15:00"),
        ("fifteen hundred hours", "15:00"),
        ("seventeen thirty", "17:30"),
        ("at four", "16:00"),
        ("about seven thirty please", "07:30"),
        ("1530", "15:30"),  # keypad, 24-hour
        ("00:00", "00:00"),
        ("23:59", "23:59"),
        ("half three", "15:30"),  # British for half past three
        ("half seven in the evening", "19:30"),
        ("quarter past 3", "15:15"),
        ("3 o'clock", "15:00"),
        ("three fifteen in the afternoon", "15:15"),
        ("twenty to one", "12:40"),
        ("7.45", "07:45"),
        ("12 noon", "12:00"),
    ],
)
def test_parse_time_reads_spoken_times(said: str, hhmm: str) -> None:
    assert parse_time(said) == hhmm


@pytest.mark.parametrize(
    "said", ["", "soon", "later", "25:00", "12:60", "thirteen pm", "2575", "whenever suits"]
)
def test_parse_time_refuses_no_or_impossible_times(said: str) -> None:
    assert parse_time(said) is None
