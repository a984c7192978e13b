"""The settings a round's results are computed with, read from one plain mapping.

The mapping has the shape of an analysis plan's content (``plan.json`` in the export bundle; until a
study has a plan, ``study.json`` holds the same mapping per round under ``analysis_settings``):

- ``quantile_method``: "weibull" (Hyndman-Fan type 6) or "linear" (type 7);
- ``min_group_size``: k, the smallest group any figure may stand on;
- ``thresholds``: the verdict thresholds ``benefit``, ``risk_low``, ``risk_safeguard``, ``risk_avoid``;
- ``rule``: the consensus rule's parts (``max_iqr``, ``band``, ``min_percent_in_band``,
  ``max_percent_opposite_band``, ``max_cv``, ``min_cns``, ``require_rand_agreement``) and its overrides
  ``parts_by_kind`` and ``parts_by_criterion`` (keyed by criterion code), or None for no rule;
- ``divide_threshold``: bloc medians this far apart split an item (None: only opposite ends do);
- ``inclusion``: "submitted" (only the answers of experts who submitted the round count) or "all".

Numbers may be numbers or decimal strings ("1.00"). Other keys (mode, feedback timing, ...) are ignored:
they decide what experts see, not what is computed. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Final

from analysis.rules import RuleSet
from analysis.verdicts import Thresholds

SUBMITTED: Final = "submitted"
ALL_SAVED: Final = "all"
_RULE_DEFAULTS: Final[dict[str, Any]] = {
    "max_iqr": None,
    "band": "",
    "min_percent_in_band": None,
    "max_percent_opposite_band": None,
    "max_cv": None,
    "min_cns": None,
    "require_rand_agreement": False,
    "parts_by_kind": {},
    "parts_by_criterion": {},
}


def _float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything besides the ratings that decides a round's results."""

    quantile_method: str = "weibull"
    min_group_size: int = 5
    thresholds: Thresholds = field(default_factory=Thresholds)
    rule: RuleSet | None = None
    divide_threshold: float | None = None
    inclusion: str = SUBMITTED

    @classmethod
    def from_mapping(
        cls,
        content: Mapping[str, Any],
        criteria: Mapping[Any, tuple[str, str]],
        *,
        rule_version: int | None = None,
    ) -> AnalysisSettings:
        """From a plan's content; ``criteria`` maps each criterion's key in the ratings to (code, kind).

        The keys are whatever the ratings use for criteria (database ids in the worker, codes in the bundle);
        ``parts_by_criterion`` is keyed by code, so both find their overrides.
        """
        thresholds = content.get("thresholds") or {}
        rule = content.get("rule")
        rule_set = None
        if rule is not None:
            given = {name: value for name, value in rule.items() if name in _RULE_DEFAULTS and value is not None}
            parts = {**_RULE_DEFAULTS, **given}
            rule_set = RuleSet.from_rule(SimpleNamespace(version=rule_version, **parts), criteria)
        defaults = Thresholds()

        def threshold(name: str) -> float:
            value = _float(thresholds.get(name))
            return float(getattr(defaults, name)) if value is None else value

        return cls(
            quantile_method=str(content.get("quantile_method") or "weibull"),
            min_group_size=int(content.get("min_group_size", 5)),
            thresholds=Thresholds(
                benefit=threshold("benefit"),
                risk_low=threshold("risk_low"),
                risk_safeguard=threshold("risk_safeguard"),
                risk_avoid=threshold("risk_avoid"),
            ),
            rule=rule_set,
            divide_threshold=_float(content.get("divide_threshold")) if rule is not None else None,
            inclusion=str(content.get("inclusion") or SUBMITTED),
        )
