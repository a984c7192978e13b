"""The dashboard's template filters for numbers (from ``aggregation.numbers``) and durations.

``percent`` is for values stored from 0 to 100, ``share`` for values stored from 0 to 1; both print a
percentage, localised, with a dash for "none".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.translation import ngettext

from aggregation import numbers

register = template.Library()
NONE = numbers.NONE


@register.filter
def num(value: float | Decimal | None, places: int = 2) -> str:
    """Up to ``places`` decimals without trailing zeros: 7, 7.5, 0.83."""
    return numbers.number_text(value, places)


@register.filter
def percent(value: float | None) -> str:
    """A percentage stored from 0 to 100 (``pct_*``, response rates), at most one decimal: 62.5%."""
    return numbers.percent_text(None if value is None else numbers.Percent(value))


@register.filter
def share(value: float | None) -> str:
    """A share stored from 0 to 1 (``changed_share``), shown as a percentage: 0.6 → 60%."""
    return numbers.percent_text(None if value is None else numbers.Share(value))


@register.filter
def pvalue(value: float | None) -> str:
    """p-values as papers print them: three decimals, "< 0.001" below that."""
    return numbers.pvalue_text(value)


@register.filter
def duration(value: timedelta | None) -> str:
    """Hours under two days, else days with one decimal."""
    if value is None:
        return NONE
    hours = value.total_seconds() / 3600
    if hours < 48:
        shown = num(hours, 1)
        return ngettext("%(count)s hour", "%(count)s hours", max(1, round(hours))) % {"count": shown}
    days = hours / 24
    return ngettext("%(count)s day", "%(count)s days", round(days)) % {"count": num(days, 1)}
