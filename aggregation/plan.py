"""The analysis plan a run computes with: the study's latest plan version, read with the ratings.

Every value that decides a result (the rule, k, the quantile method, the verdict and divide thresholds,
whose answers count) comes from the plan's content, so a run's numbers follow from its recorded plan
version and hash. A study whose rounds opened before plans existed and have none yet (old test data)
computes with a content made from its current settings and its round's rule, recorded with its hash and no
version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aggregation.selectors import shown_run
from analysis.plan import content_sha256, plan_content
from analysis.verdicts import Thresholds
from elicitation.models import AnalysisPlan, ConsensusRule, Round


@dataclass(frozen=True)
class PlanInForce:
    """The plan a run used: its row (None without one), content and hash, and the rule row it holds."""

    plan: AnalysisPlan | None
    content: dict[str, Any]
    sha256: str
    rule: ConsensusRule | None

    @property
    def version(self) -> int | None:
        return self.plan.version if self.plan is not None else None

    @property
    def quantile_method(self) -> str:
        return str(self.content["quantile_method"])

    @property
    def min_group_size(self) -> int:
        return int(self.content["min_group_size"])

    @property
    def divide_threshold(self) -> float | None:
        value = self.content.get("divide_threshold")
        return None if value is None else float(value)

    def thresholds(self) -> Thresholds:
        values = self.content["thresholds"]
        return Thresholds(
            benefit=float(values["benefit"]),
            risk_low=float(values["risk_low"]),
            risk_safeguard=float(values["risk_safeguard"]),
            risk_avoid=float(values["risk_avoid"]),
        )


def plan_in_force(round_: Round) -> PlanInForce:
    """The study's latest plan version (one query), or the fallback described in the module docstring."""
    plan = (
        AnalysisPlan.objects.select_related("consensus_rule")
        .filter(study_id=round_.study_id)
        .order_by("-version")
        .first()
    )
    if plan is not None:
        return PlanInForce(plan=plan, content=plan.content, sha256=plan.content_sha256, rule=plan.consensus_rule)
    content = plan_content(round_.study, round_.consensus_rule)
    return PlanInForce(plan=None, content=content, sha256=content_sha256(content), rule=round_.consensus_rule)


def content_of_shown_run(round_: Round) -> dict[str, Any]:
    """The plan content the round's shown results were computed with, for the bundle's ``recompute.py``:
    the plan version its shown run recorded, else the plan in force (what the next run will use)."""
    run = shown_run(round_.pk)
    if run is not None and run.plan_version is not None:
        plan = AnalysisPlan.objects.filter(study_id=round_.study_id, version=run.plan_version).first()
        if plan is not None:
            return dict(plan.content)
    return plan_in_force(round_).content
