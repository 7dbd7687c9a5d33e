"""Dates and times of day as callers say them ("next Tuesday", "the fifth of March", "half
past three").

Canonical values: a date is ISO "YYYY-MM-DD", a time is 24-hour "HH:MM".
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from voicebot.dialogue.slots.numbers import read_number
from voicebot.language.words import MONTHS, TEENS, TENS, UNITS, WEEKDAYS, ordinal_value, words

# fmt: off
_MONTH_ALIASES = {
    **{name: n for n, name in enumerate(MONTHS, 1)},
    **{name[:3]: n for n, name in enumerate(MONTHS, 1)}, "sept": 9,
}
_WEEKDAY_ALIASES = {
    **{name: n for n, name in enumerate(WEEKDAYS)},
    **{name[:3]: n for n, name in enumerate(WEEKDAYS)}, "tues": 1, "thurs": 3, "weds": 2,
}
_RELATIVE = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}
_PERIODS = {"days": 1, "day": 1, "weeks": 7, "week": 7, "fortnight": 14, "fortnights": 14}
# fmt: on
MAX_DAYS_AHEAD = 3660
"""'in N days' further off than ten years is not a date anyone means (and would overflow)."""
# "march" and "may" are also verbs; they only count as months next to a day number.
_AMBIGUOUS_MONTHS = {"may", "mar", "jun", "jan", "sat", "sun", "wed"}


def parse_date(text: str, today: date) -> str | None:
    """The date in `text` as "YYYY-MM-DD", or None if there is none or it does not exist.

    Read: ISO "2026-03-05"; keypad "05032027" (DDMMYYYY, the British order); "5/3",
    "5/3/2027", "05-03-27" (day first); "today", "tomorrow", "the day after tomorrow",
    "yesterday"; "in three days", "in two weeks"; weekdays ("tuesday" and "this tuesday" are
    the next one on or after today, "next tuesday" the next one after today); "the fifth of
    march", "march the fifth", "5th march", "march 5", "the fifth of march twenty twenty
    seven"; "the twenty first" (of this month, else the next month that has it). A date
    without a year is the next one on or after `today`; "31 February" is None.
    """
    lowered = text.lower().strip()
    if m := re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", lowered):
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(
        r"(?<![\d/.-])\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\b(?![/.-]\d)", lowered
    ):
        year = _full_year(m[3]) if m[3] else None
        return _on_or_after(today, int(m[1]), int(m[2]), year)
    if m := re.fullmatch(r"\D*(\d{2})(\d{2})(\d{4})\D*", lowered):
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    toks = words(lowered)
    return _relative(toks, today) or _day_and_month(toks, today) or _weekday(toks, today)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _full_year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _on_or_after(today: date, day: int, month: int, year: int | None) -> str | None:
    if year is not None:
        return _iso(year, month, day)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for candidate_year in range(today.year, today.year + 9):  # 29 February within 8 years
        if day <= calendar.monthrange(candidate_year, month)[1]:
            candidate = date(candidate_year, month, day)
            if candidate >= today:
                return candidate.isoformat()
    return None


def _relative(toks: list[str], today: date) -> str | None:
    said = " ".join(toks)
    if "day after tomorrow" in said:
        return (today + timedelta(days=2)).isoformat()
    if "day before yesterday" in said:
        return (today - timedelta(days=2)).isoformat()
    if m := re.search(r"\ba week (today|tomorrow)\b", said):  # British: seven days on
        return (today + timedelta(days=7 + (m[1] == "tomorrow"))).isoformat()
    for i, word in enumerate(toks):
        if word == "in" and i + 1 < len(toks):
            if toks[i + 1 : i + 3] == ["a", "weeks"] or toks[i + 1 : i + 3] == ["a", "week"]:
                return (today + timedelta(days=7)).isoformat()
            if toks[i + 1 : i + 3] == ["a", "fortnight"]:
                return (today + timedelta(days=14)).isoformat()
            group = read_number(toks, i + 1)
            if group is not None and group.end < len(toks) and toks[group.end] in _PERIODS:
                days = int(group.value) * _PERIODS[toks[group.end]]
                if days > MAX_DAYS_AHEAD:
                    return None
                return (today + timedelta(days=days)).isoformat()
    for word in toks:
        if word in _RELATIVE:
            return (today + timedelta(days=_RELATIVE[word])).isoformat()
    return None


def _day_and_month(toks: list[str], today: date) -> str | None:
    day_at: tuple[int, int, int] | None = None  # (day, start, end)
    for i in range(len(toks)):
        found = _day_number(toks, i)
        if found is not None:
            day_at = (found[0], i, i + found[1])
            break
    if day_at is None:
        return None
    day, start, end = day_at
    month = None
    for i, word in enumerate(toks):
        if word in _MONTH_ALIASES and (i in (start - 1, start - 2, end, end + 1)):
            month = _MONTH_ALIASES[word]
            year_from = i + 1 if i >= end else end
            break
    if month is None:
        # "the twenty first": this month's, or the next month's if it has passed.
        if any(w in _MONTH_ALIASES and w not in _AMBIGUOUS_MONTHS for w in toks):
            return None  # a month we could not place next to the day
        return _this_or_next_month(today, day)
    year = _year(toks, max(year_from, end))
    return _on_or_after(today, day, month, year)


def _day_number(toks: list[str], i: int) -> tuple[int, int] | None:
    """(day, tokens used) at `toks[i]`: an ordinal ("fifth", "21st") or, beside a month name,
    a cardinal ("march 5", "5 march", "march twenty one")."""
    ordinal = ordinal_value(toks, i)
    if ordinal is not None:
        return ordinal if 1 <= ordinal[0] <= 31 else None
    beside_month = (i > 0 and toks[i - 1] in _MONTH_ALIASES) or (
        i + 1 < len(toks) and toks[i + 1] in _MONTH_ALIASES
    )
    word = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if word.isdigit() and len(word) <= 2:
        value, used = int(word), 1
    elif word in UNITS and word not in ("oh", "o", "zero", "nought", "nil"):
        value, used = UNITS[word], 1
    elif word in TEENS:
        value, used = TEENS[word], 1
    elif word in TENS:
        unit = UNITS.get(nxt, 0) if nxt not in ("oh", "o") else 0
        value, used = TENS[word] + unit, 1 + (unit > 0)
        beside_month = beside_month or (i + used < len(toks) and toks[i + used] in _MONTH_ALIASES)
    else:
        return None
    if not beside_month or not 1 <= value <= 31:
        return None
    return value, used


def _year(toks: list[str], i: int) -> int | None:
    """A year after the month: "2027", "twenty twenty seven", "two thousand and twenty seven"."""
    while i < len(toks) and toks[i] in ("of", "in", "the", "year"):
        i += 1
    if i >= len(toks):
        return None
    if toks[i].isdigit() and len(toks[i]) == 4:
        return int(toks[i])
    first = read_number(toks, i)
    if first is None:
        return None
    if first.value >= 1000:
        return int(first.value)
    # "twenty twenty seven", "nineteen eighty four": century then two digits.
    second = read_number(toks, first.end)
    if 10 <= first.value < 100 and second is not None and second.value < 100:
        return int(first.value) * 100 + int(second.value)
    return None


def _this_or_next_month(today: date, day: int) -> str | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day).isoformat()
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _weekday(toks: list[str], today: date) -> str | None:
    for i, word in enumerate(toks):
        if word in _WEEKDAY_ALIASES and word not in _AMBIGUOUS_MONTHS:
            ahead = (_WEEKDAY_ALIASES[word] - today.weekday()) % 7
            if i > 0 and toks[i - 1] == "next" and ahead == 0:
                ahead = 7
            return (today + timedelta(days=ahead)).isoformat()
    return None


# --- times -------------------------------------------------------------------------------------

_HOUR_WORDS = {**{w: v for w, v in UNITS.items() if v >= 1}, **TEENS}
_MINUTES_PAST = {"quarter": 15, "half": 30}
_MORNING = ("am", "morning", "a m")
_EVENING = ("pm", "afternoon", "evening", "night", "tonight", "p m")


def parse_time(text: str) -> str | None:
    """The time of day in `text` as 24-hour "HH:MM", or None.

    Read: "15:30", "3:30 pm", "3.30pm", "noon", "midday", "midnight", "half past three",
    "quarter to five", "twenty past four", "three thirty", "three oh five", "ten o'clock in
    the morning", "nine a m", "fifteen hundred (hours)", keypad "1530" (four digits, 24-hour).

    Hours without am/pm: a written two-digit "HH:MM" is taken as 24-hour ("03:30" is 03:30);
    a spoken or single-digit hour from 1 to 6 is afternoon ("half past three" is 15:30,
    because a support line's callbacks and appointments are in working hours), 7 to 12 is
    kept as said ("ten thirty" is 10:30, "twelve fifteen" 12:15).
    """
    lowered = text.lower().replace("a.m.", "am").replace("p.m.", "pm")
    toks = words(lowered)
    said = re.sub(r"\b(12|twelve) (noon|midday|midnight)\b", r"\2", " ".join(toks))
    meridiem = _meridiem(said)
    if re.search(r"\b(noon|midday)\b", said) and not re.search(r"\d|past|to", said):
        return "12:00"
    if "midnight" in toks and not re.search(r"\d|past|to", said):
        return "00:00"
    if m := re.search(r"\b(\d{1,2})[:.](\d{2})\b", lowered):
        hour, minute = int(m[1]), int(m[2])
        if len(m[1]) == 2 and meridiem is None:
            return _hhmm(hour, minute)
        return _resolve(hour, minute, meridiem)
    if m := re.fullmatch(r"\D*?(\d{2})(\d{2})\D*", lowered):
        return _hhmm(int(m[1]), int(m[2])) if meridiem is None else None
    return _spoken_time(toks, meridiem)


def _meridiem(said: str) -> str | None:
    padded = f" {said} "
    if any(f" {w} " in padded or said.endswith(w) for w in _MORNING) and re.search(
        r"(\d|\s)(am|a m)\b|morning", said
    ):
        return "am"
    if any(f" {w} " in padded for w in _EVENING) or re.search(r"\dpm\b", said):
        return "pm"
    return None


def _spoken_time(toks: list[str], meridiem: str | None) -> str | None:
    for i, word in enumerate(toks):
        # British "half three" is half past three.
        hour = _hour_at(toks, i + 1) if word == "half" else None
        if hour is not None:
            after = toks[hour[1] : hour[1] + 1]
            if after in ([], ["am"], ["pm"], ["in"], ["a"], ["p"]):
                return _resolve(hour[0], 30, meridiem)
    for i, word in enumerate(toks):
        # "half past three", "quarter to five", "twenty five past six", "ten to nine"
        if word in ("past", "after", "to", "til", "till") and i > 0 and i + 1 < len(toks):
            minutes = _minutes_before(toks, i)
            hour = _hour_at(toks, i + 1)
            if minutes is not None and hour is not None:
                if word in ("past", "after"):
                    return _resolve(hour[0], minutes, meridiem)
                return _resolve(hour[0] - 1 if hour[0] > 1 else 12, 60 - minutes, meridiem)
    for i in range(len(toks)):
        hour = _hour_at(toks, i)
        if hour is None:
            continue
        value, j = hour
        rest = toks[j : j + 2]
        if rest[:1] in (["oclock"], ["hundred"]) or (rest[:1] == ["o"] and rest[1:] == ["clock"]):
            if rest[:1] == ["hundred"]:
                return _hhmm(value, 0)  # "fifteen hundred hours" is 24-hour by nature
            return _resolve(value, 0, meridiem)
        minute = _minute_at(toks, j)
        if minute is not None:
            return _resolve(value, minute, meridiem)
        if meridiem is not None and (j == len(toks) or toks[j] in ("am", "pm", "a", "p", "in")):
            return _resolve(value, 0, meridiem)
        if toks[i - 1 : i] == ["at"] or j == len(toks) and i == 0:
            return _resolve(value, 0, meridiem)
    return None


def _hour_at(toks: list[str], i: int) -> tuple[int, int] | None:
    if i >= len(toks):
        return None
    word = toks[i]
    if word.isdigit() and 0 <= int(word) <= 24 and len(word) <= 2:
        return int(word), i + 1
    if word in ("noon", "midday"):
        return 12, i + 1
    if word == "midnight":
        return 0, i + 1
    if word in _HOUR_WORDS and _HOUR_WORDS[word] <= 12:
        return _HOUR_WORDS[word], i + 1
    if word in TEENS:
        return TEENS[word], i + 1
    if word == "twenty":
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if nxt in ("one", "two", "three"):
            return 20 + UNITS[nxt], i + 2
        return 20, i + 1
    return None


def _minute_at(toks: list[str], j: int) -> int | None:
    """Minutes after an hour: "thirty", "oh five", "45"."""
    if j >= len(toks):
        return None
    if toks[j] in ("oh", "o", "zero") and j + 1 < len(toks) and toks[j + 1] in UNITS:
        return UNITS[toks[j + 1]]
    if toks[j].isdigit() and len(toks[j]) == 2:
        return int(toks[j])
    if toks[j] in TEENS or toks[j] in TENS:
        group = read_number(toks, j)
        if group is not None and group.value < 60:
            return int(group.value)
    return None


def _minutes_before(toks: list[str], i: int) -> int | None:
    """Minutes said before "past"/"to": "half", "a quarter", "twenty five", "ten minutes"."""
    end = i - 1 if toks[i - 1] in ("minutes", "minute") else i
    if end > 0 and toks[end - 1] in _MINUTES_PAST:
        return _MINUTES_PAST[toks[end - 1]]
    for start in (end - 2, end - 1):
        if start < 0:
            continue
        group = read_number(toks, start)
        if group is not None and group.end == end and 0 < group.value < 60:
            return int(group.value)
    return None


def _resolve(hour: int, minute: int, meridiem: str | None) -> str | None:
    if not (0 <= minute < 60):
        return None
    if meridiem == "am":
        if not 1 <= hour <= 12:
            return None
        hour = 0 if hour == 12 else hour
    elif meridiem == "pm":
        if not 1 <= hour <= 12:
            return None  # "thirteen pm" contradicts itself
        hour = hour if hour == 12 else hour + 12
    elif 1 <= hour <= 6:
        hour += 12
    return _hhmm(hour, minute)


def _hhmm(hour: int, minute: int) -> str | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"
