"""Number, share, p-value and duration formats for the dashboard, localised and with a dash for "none"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()
NONE = "—"


@register.filter
def num(value: float | Decimal | None, places: int = 2) -> str:
    """Up to ``places`` decimals without trailing zeros: 7, 7.5, 0.83."""
    if value is None:
        return NONE
    rounded = round(Decimal(str(value)), int(places)).normalize()
    if rounded == 0:
        rounded = Decimal(0)
    return number_format(Decimal(f"{rounded:f}"), use_l10n=True)


@register.filter
def percent(value: float | None) -> str:
    """A percentage with at most one decimal: 62.5 %."""
    if value is None:
        return NONE
    return _("%(value)s%%") % {"value": num(value, 1)}


@register.filter
def pvalue(value: float | None) -> str:
    """p-values as papers print them: three decimals, "< 0.001" below that."""
    if value is None:
        return NONE
    if value < 0.001:
        return _("< %(value)s") % {"value": number_format(Decimal("0.001"), use_l10n=True)}
    return number_format(round(Decimal(str(value)), 3), decimal_pos=3, use_l10n=True)


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


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    return mapping.get(key)
