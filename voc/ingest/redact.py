"""Redaction of personal data before anything is stored.

Each detector replaces what it finds with a typed placeholder (``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
``[IBAN]``, ``[SSN]``). Card numbers must pass the Luhn check and IBANs their mod-97 check, so order
numbers and amounts are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
UK_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
PHONE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w/])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


@dataclass(frozen=True)
class Redactor:
    """Replaces personal data with placeholders; ``Redactor(enabled=False)`` does nothing."""

    enabled: bool = True

    def __call__(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        text = EMAIL.sub("[EMAIL]", text)
        text = IBAN.sub(lambda m: "[IBAN]" if iban_ok(m.group()) else m.group(), text)
        text = CARD.sub(self._card, text)
        text = SSN.sub("[SSN]", text)
        text = UK_NINO.sub("[NATIONAL_ID]", text)
        text = PHONE.sub(self._phone, text)
        return text

    @staticmethod
    def _card(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group())
        return "[CARD]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group()

    @staticmethod
    def _phone(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group())
        # dates (2026-03-01) and short codes are not phone numbers
        if len(digits) < 9 or re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.group().strip()):
            return m.group()
        return "[PHONE]"
