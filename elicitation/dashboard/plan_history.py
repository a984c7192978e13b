"""The analysis plan's history as the report, ACCORD and the exports tell it: each version, true to the record.

A version is reported as "frozen when round 1 opened, before the ratings were seen" only when it was frozen
no later than the first round opened and no deviation reason was recorded. Any other version is a deviation:
created on a date, after a closed round (or while a round was open), by someone, for a reason, with the
settings it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from analysis.plan import plan_diff
from elicitation.models import AnalysisPlan, Study


@dataclass(frozen=True)
class PlanEntry:
    """One plan version with what the record says about it."""

    plan: AnalysisPlan
    changes: list[dict[str, Any]]
    before_ratings: bool

    @property
    def is_deviation(self) -> bool:
        return self.plan.is_frozen and not self.before_ratings

    @property
    def author(self) -> str:
        user = self.plan.created_by
        return user.get_username() if user is not None else ""

    def words(self) -> str:
        """The sentence the report prints about this version."""
        plan = self.plan
        if not plan.is_frozen:
            return _("Version %(n)d, a draft: it is frozen when round 1 opens.") % {"n": plan.version}
        if self.before_ratings:
            return _("Version %(n)d, frozen on %(date)s when round 1 opened, before the ratings were seen.") % {
                "n": plan.version,
                "date": _date(plan.frozen_at),
            }
        if plan.after_round is not None:
            when = _("created on %(date)s after round %(m)d closed") % {
                "date": _date(plan.created_at),
                "m": plan.after_round,
            }
        else:
            when = _("created on %(date)s while round %(m)s was open") % {
                "date": _date(plan.created_at),
                "m": plan.during_round or 1,
            }
        return _("Version %(n)d, %(when)s: a deviation from the plan. Reason: %(reason)s") % {
            "n": plan.version,
            "when": when,
            "reason": plan.reason or _("none recorded"),
        }


def _date(value: datetime | None) -> str:
    return date_format(value, "DATE_FORMAT") if value is not None else "—"


def plan_history(study: Study) -> list[PlanEntry]:
    """Every plan version of the study, oldest first, with its changes from the one before (two queries)."""
    first_opened = study.rounds.aggregate(first=Min("opened_at"))["first"]
    plans = list(AnalysisPlan.objects.filter(study=study).select_related("created_by").order_by("version"))
    entries: list[PlanEntry] = []
    previous: dict[str, Any] | None = None
    for plan in plans:
        before = (
            plan.is_frozen
            and not plan.reason
            and first_opened is not None
            and plan.frozen_at is not None
            and plan.frozen_at <= first_opened
        )
        entries.append(
            PlanEntry(plan=plan, changes=plan_diff(previous, plan.content) if previous else [], before_ratings=before)
        )
        previous = plan.content
    return entries


def change_words(change: dict[str, Any]) -> str:
    """One changed setting as "name: before → after"."""
    return _("%(setting)s: %(before)s → %(after)s") % {
        "setting": change["setting"],
        "before": _value(change["before"]),
        "after": _value(change["after"]),
    }


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
