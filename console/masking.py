"""Personal data out of exports: e-mails and phone numbers are masked, names reduced to initials."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:\+7|8|7)?[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)")


def mask_text(text: str | None) -> str:
    if not text:
        return ""
    text = EMAIL.sub(lambda m: m.group(0)[0] + "***@***", text)
    return PHONE.sub(lambda m: "+7 *** ***-**-" + re.sub(r"\D", "", m.group(0))[-2:], text)


def mask_name(name: str | None) -> str:
    """«Иванов Пётр Сергеевич» → «Иванов П. С.»: enough to tell people apart in a report, no more."""
    if not name:
        return ""
    parts = mask_text(name).split()
    return " ".join(parts[:1] + [p[0] + "." for p in parts[1:3]])


def safe_cell(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
