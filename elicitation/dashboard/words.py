"""The study's statistical conventions in plain words, for the report's methods section.

The consensus rule itself is put into words by ``elicitation.setup.services.rules.rule_in_words``, the
same sentence the study page and the audit log use.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def quantile_method_in_words(method: str) -> str:
    return {
        "weibull": _("Quartiles by Hyndman–Fan type 6 (as SPSS computes them)."),
        "linear": _("Quartiles by Hyndman–Fan type 7 (as R and numpy compute them by default)."),
    }.get(method, method)
