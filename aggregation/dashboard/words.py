"""The frozen consensus rule and the study's conventions in plain words, for the report and the dashboard.

ACCORD asks a Delphi paper to state how consensus was defined before the data were seen; the report
quotes the rule version that produced its verdicts, in the reader's language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def _number(value: Decimal | float) -> str:
    """A threshold as people write it: 1 not 1.00, 0.25 kept."""
    text = f"{Decimal(str(value)).normalize():f}"
    return number_format(Decimal(text), use_l10n=True)


def band_in_words(band: str) -> str:
    return {
        "low": _("the lowest third of the scale"),
        "middle": _("the middle third of the scale"),
        "high": _("the highest third of the scale"),
    }.get(band, band)


def rule_parts_in_words(rule: Any) -> list[str]:
    """One clause per part of the rule that is used, in the order the rule is evaluated."""
    parts: list[str] = []
    if rule.max_iqr is not None:
        parts.append(_("the interquartile range is at most %(value)s") % {"value": _number(rule.max_iqr)})
    if rule.min_percent_in_band is not None and rule.band:
        parts.append(
            _("at least %(percent)s%% of the ratings fall in %(band)s")
            % {"percent": _number(rule.min_percent_in_band), "band": band_in_words(rule.band)}
        )
    if rule.max_percent_opposite_band is not None:
        if rule.band == "middle":
            text = _("at most %(percent)s%% of the ratings fall in each outer third of the scale")
        else:
            text = _("at most %(percent)s%% of the ratings fall in the opposite third of the scale")
        parts.append(text % {"percent": _number(rule.max_percent_opposite_band)})
    if rule.max_cv is not None:
        parts.append(_("the coefficient of variation is at most %(value)s") % {"value": _number(rule.max_cv)})
    if rule.min_cns is not None:
        parts.append(_("the Tastle–Wierman consensus is at least %(value)s") % {"value": _number(rule.min_cns)})
    if rule.require_rand_agreement:
        parts.append(_("the RAND/UCLA test (IPR against IPRAS) finds no disagreement"))
    return parts


def rule_in_words(rule: Any | None) -> str:
    """The whole rule as one sentence, e.g. "An item reaches consensus when … and …"."""
    if rule is None:
        return _("No consensus rule was set, so no item is classified as reaching consensus.")
    parts = rule_parts_in_words(rule)
    if not parts:
        return _("The consensus rule has no conditions, so no item is classified as reaching consensus.")
    joined = (
        parts[0]
        if len(parts) == 1
        else _("%(first)s and %(last)s")
        % {
            "first": pgettext("list separator", ", ").join(parts[:-1]),
            "last": parts[-1],
        }
    )
    return _("An item reaches consensus when %(conditions)s (rule version %(version)s).") % {
        "conditions": joined,
        "version": rule.version,
    }


def quantile_method_in_words(method: str) -> str:
    return {
        "weibull": _("Quartiles by Hyndman–Fan type 6 (as SPSS computes them)."),
        "linear": _("Quartiles by Hyndman–Fan type 7 (as R and numpy compute them by default)."),
    }.get(method, method)
