"""Formula neutralisation: a text cell that a spreadsheet would run as a formula gets an apostrophe.

OWASP "CSV injection": cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return
are prefixed with ``'`` so spreadsheet programs show them as text. Every export format gets
the same treatment, so a file read back compares equal across formats. Numbers are never
touched (a negative number is a number, not text).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def neutralise_cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value
