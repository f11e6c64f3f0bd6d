"""Quantities in promises and in what customers report: durations, times of day, dates and money.

Pure Python: :func:`extract` finds the quantities in a text, each normalised to one unit per kind
(durations in calendar days, times of day in hours after midnight, dates as ISO days, money in the
currency's units), and :func:`gap` tells how far a reported value is from the promised one.

    >>> [q.value for q in extract("refunds within 5 business days")]
    [7.0]
    >>> gap(extract("within 5 business days")[0], extract("it took three weeks")[0])
    '+14 days'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

KINDS = ("duration", "time", "date", "money")

_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
          "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
          "couple": 2, "a couple of": 2, "a few": 3, "few": 3, "several": 4, "half an": 0.5, "half a": 0.5}
_UNIT_DAYS = {"second": 1 / 86400, "sec": 1 / 86400, "minute": 1 / 1440, "min": 1 / 1440, "mins": 1 / 1440,
              "hour": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "day": 1.0, "night": 1.0, "week": 7.0, "wk": 7.0,
              "month": 30.0, "year": 365.0, "yr": 365.0}
_NUMBER = (r"(?P<num>\d+(?:[.,]\d+)?|" + "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
           + r")")
_DURATION = re.compile(
    _NUMBER + r"(?:\s*(?:-|to|or)\s*(?P<num2>\d+))?[\s-]*(?:\(\d+\)\s*)?"
    r"(?P<biz>business[\s-]|working[\s-]|calendar[\s-])?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|wks?|months?|years?|yrs?)\b", re.I)
_RELATIVE = re.compile(r"\b(?P<rel>tomorrow|tonight|today|same[\s-]day|next[\s-]day|overnight|next week|"
                       r"next month|asap|right away|immediately)\b", re.I)
_CLOCK = re.compile(r"\b(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)(?![a-z])|"
                    r"\b(?P<h24>[01]\d|2[0-3]):(?P<m24>[0-5]\d)\b|"
                    r"\b(?:at|by|until|til|till|before|after|now|it'?s|is)\s+(?P<hb>1[0-2]|[1-9])(?::(?P<mb>[0-5]\d))?"
                    r"(?:\s*(?P<ampmb>[ap])\.?m\b\.?)?(?![\w:])"
                    r"(?!\s*(?:%|\$|days?|hours?|weeks?|months?|years?|minutes?|mins?|people|bags?|times?|dollars?))",
                    re.I)
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                              "nov", "dec"))}
_DATE = re.compile(
    r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?\b|"
    r"\b(?P<m>[01]?\d)/(?P<d>[0-3]?\d)/(?P<y>(?:19|20)?\d\d)\b|"
    r"\b(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)\b", re.I)
_MONEY = re.compile(
    r"\{?(?P<cur>[$£€])\s?(?P<amt>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"(?P<mult>k|m|million|thousand)?\b\}?|"
    r"\b(?P<amt2>\d+(?:\.\d+)?)\s*(?P<word>dollars|bucks|usd|pounds|euros|gbp|eur)\b|"
    r"\b(?P<free>free of charge|no (?:extra |additional |hidden )?(?:fees?|charges?|cost)|zero fees?|fee[\s-]free|"
    r"for free|at no (?:extra |additional )?cost)\b", re.I)
_CURRENCY = {"$": "USD", "£": "GBP", "€": "EUR", "dollars": "USD", "bucks": "USD", "usd": "USD", "pounds": "GBP",
             "gbp": "GBP", "euros": "EUR", "eur": "EUR"}


@dataclass(frozen=True)
class Quantity:
    """A quantity found in a text: its kind, the normalised value and unit, and where it was written."""

    kind: str
    value: float | str
    unit: str
    text: str
    start: int
    end: int


def _number(raw: str) -> float | None:
    raw = raw.lower().strip()
    if raw in _WORDS:
        return float(_WORDS[raw])
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


def _durations(text: str) -> list[Quantity]:
    out = []
    for m in _DURATION.finditer(text):
        n = _number(m.group("num"))
        if n is None:
            continue
        if m.group("num2"):  # "3-5 days": the upper bound is what was promised or suffered
            n = max(n, float(m.group("num2")))
        unit = m.group("unit").lower().rstrip("s") or "s"
        days = n * _UNIT_DAYS.get(unit, _UNIT_DAYS.get(unit + "s", 1.0))
        if m.group("biz") and m.group("biz").lower().startswith(("business", "working")) and unit == "day":
            days = n * 7 / 5  # business days in calendar days
        out.append(Quantity("duration", round(days, 4), "days", m.group(0).strip(), m.start(), m.end()))
    rel = {"tomorrow": 1.0, "tonight": 0.5, "today": 0.0, "same-day": 0.0, "same day": 0.0, "next-day": 1.0,
           "next day": 1.0, "overnight": 1.0, "next week": 7.0, "next month": 30.0, "asap": 0.0,
           "right away": 0.0, "immediately": 0.0}
    for m in _RELATIVE.finditer(text):
        key = re.sub(r"\s+", " ", m.group("rel").lower())
        out.append(Quantity("duration", rel.get(key, rel.get(key.replace(" ", "-"), 0.0)), "days", m.group(0),
                            m.start(), m.end()))
    return out


def _times(text: str) -> list[Quantity]:
    out = []
    for m in _CLOCK.finditer(text):
        if m.group("h") is not None:
            h, mins = int(m.group("h")), int(m.group("m") or 0)
            pm = m.group("ampm").lower().startswith("p")
            h = (h % 12) + (12 if pm else 0)
            start = m.start()
        elif m.group("h24") is not None:
            h, mins, start = int(m.group("h24")), int(m.group("m24")), m.start()
        else:
            h, mins, start = int(m.group("hb")), int(m.group("mb") or 0), m.start("hb")
            if m.group("ampmb"):
                h = (h % 12) + (12 if m.group("ampmb").lower() == "p" else 0)
        out.append(Quantity("time", round(h + mins / 60, 4), "hours", text[start:m.end()], start, m.end()))
    return out


def _dates(text: str) -> list[Quantity]:
    out = []
    for m in _DATE.finditer(text):
        try:
            if m.group("mon"):
                year = int(m.group("year")) if m.group("year") else 2000
                day = dt.date(year, _MONTHS[m.group("mon").lower()[:3]], int(m.group("day")))
            elif m.group("iso"):
                day = dt.date.fromisoformat(m.group("iso"))
            else:
                y = int(m.group("y"))
                day = dt.date(y + 2000 if y < 100 else y, int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        out.append(Quantity("date", day.isoformat(), "date", m.group(0), m.start(), m.end()))
    return out


def _money(text: str) -> list[Quantity]:
    out = []
    for m in _MONEY.finditer(text):
        if m.group("free"):
            out.append(Quantity("money", 0.0, "USD", m.group(0), m.start(), m.end()))
            continue
        raw = m.group("amt") or m.group("amt2")
        value = _number(raw)
        if value is None:
            continue
        mult = (m.group("mult") or "").lower()
        value *= 1000 if mult in ("k", "thousand") else 1_000_000 if mult in ("m", "million") else 1
        unit = _CURRENCY.get((m.group("cur") or m.group("word") or "$").lower(), "USD")
        out.append(Quantity("money", round(value, 2), unit, m.group(0).strip("{} "), m.start(), m.end()))
    return out


def extract(text: str) -> list[Quantity]:
    """Every quantity in ``text``, in reading order; overlapping finds keep the longest."""
    found = _money(text) + _durations(text) + _dates(text) + _times(text)
    found.sort(key=lambda q: (q.start, -(q.end - q.start)))
    kept: list[Quantity] = []
    for q in found:
        if kept and q.start < kept[-1].end:
            continue
        kept.append(q)
    return kept


def split_quantities(quantities: list[Quantity], boundary: int) -> tuple[list[Quantity], list[Quantity]]:
    """Those written before ``boundary`` (the commitment) and those after it (what happened)."""
    return [q for q in quantities if q.start < boundary], [q for q in quantities if q.start >= boundary]


def pair(promised: list[Quantity], reported: list[Quantity]) -> tuple[Quantity | None, Quantity | None]:
    """The promised and the reported quantity of the same kind, when both sides have one."""
    for p in promised:
        for r in reported:
            if p.kind == r.kind:
                return p, r
    return (promised[0] if promised else None), None


def _days(value: float) -> str:
    if abs(value) >= 1 or value == 0:
        n = round(value, 1)
        return f"{n:+g} day{'s' if abs(n) != 1 else ''}"
    hours = round(value * 24, 1)
    return f"{hours:+g} hour{'s' if abs(hours) != 1 else ''}"


def gap(promised: Quantity | None, reported: Quantity | None) -> str | None:
    """How far the reported value is from the promised one, in the kind's unit (None when not comparable)."""
    if promised is None or reported is None or promised.kind != reported.kind:
        return None
    if promised.kind == "duration":
        return _days(float(reported.value) - float(promised.value))
    if promised.kind == "time":
        diff = (float(reported.value) - float(promised.value)) % 24  # "at 5 ... it's now 9" is later the same day
        return f"+{round(diff, 2):g} hours"
    if promised.kind == "date":
        a, b = dt.date.fromisoformat(str(promised.value)), dt.date.fromisoformat(str(reported.value))
        if a.year == 2000 or b.year == 2000:  # no year written: compare within one year
            a, b = a.replace(year=2001), b.replace(year=2001)
        return _days(float((b - a).days))
    if promised.unit != reported.unit:
        return None
    diff = float(reported.value) - float(promised.value)
    symbol = {"USD": "$", "GBP": "£", "EUR": "€"}.get(promised.unit, "")
    return f"{'+' if diff >= 0 else '-'}{symbol}{abs(diff):,.2f}"
