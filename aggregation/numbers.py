"""Every number a person reads, formatted in one place: plain numbers, shares, percentages and p-values.

A *share* is a fraction from 0 to 1 (``ItemResult.changed_share``); a *percent* is from 0 to 100
(``ItemResult.pct_low``, response rates, attrition). They are distinct types here so that a share is never
printed as a percentage without being multiplied (the convergence page once showed a share of 0.6 as
"0.6%"): :func:`percent_text` takes a :class:`Share` or a :class:`Percent` and refuses a bare float.
Exports keep both as stored and say the unit of every column in the codebook.

Text is localised with Django's number formatting (``localise=True``, the pages) or plain with a point
(``localise=False``: SVG coordinates, sentences stored in the audit log).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.utils.formats import number_format
from django.utils.translation import gettext as _

NONE: Final = "—"  # what a page shows for "no number"


class Share(float):
    """A fraction from 0 to 1 (e.g. the share of experts who changed their rating)."""


class Percent(float):
    """A percentage from 0 to 100 (e.g. the percent of ratings in the top third)."""


def number_text(value: float | Decimal | None, places: int | None = 2, *, localise: bool = True) -> str:
    """Up to ``places`` decimals without trailing zeros (7, 7.5, 0.83); ``places=None`` keeps every digit."""
    if value is None:
        return NONE
    exact = Decimal(str(value))
    rounded = (exact if places is None else round(exact, int(places))).normalize()
    if rounded == 0:
        rounded = Decimal(0)
    text = f"{rounded:f}"
    return number_format(Decimal(text), use_l10n=True) if localise else text


def percent_text(value: Share | Percent | None, places: int = 1) -> str:
    """A share or a percent as a percentage with at most ``places`` decimals: 62.5%."""
    if value is None:
        return NONE
    if isinstance(value, Share):
        hundred = float(value) * 100.0
    elif isinstance(value, Percent):
        hundred = float(value)
    else:
        raise TypeError(f"say whether {value!r} is a Share (0-1) or a Percent (0-100)")
    return _("%(value)s%%") % {"value": number_text(hundred, places)}


def pvalue_text(value: float | None) -> str:
    """p-values as papers print them: three decimals, "< 0.001" below that."""
    if value is None:
        return NONE
    if value < 0.001:
        return _("< %(value)s") % {"value": number_format(Decimal("0.001"), use_l10n=True)}
    return number_format(round(Decimal(str(value)), 3), decimal_pos=3, use_l10n=True)
