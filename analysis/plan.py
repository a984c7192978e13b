"""An analysis plan's content, without Django: what it holds, its canonical hash, and what changed.

The application builds the content from a study's settings and rule (``elicitation.setup.services.plan``),
stores it with its hash, and the worker computes with it (``analysis.settings.AnalysisSettings.from_mapping``);
the export bundle ships this module, so ``recompute.py`` can check each plan version's hash from ``plan.json``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from analysis.settings import SUBMITTED

# The study settings a plan holds, beside the rule.
PLAN_SETTINGS = (
    "min_group_size",
    "quantile_method",
    "anonymity",
    "mode",
    "feedback_timing",
    "feedback_by_bloc",
    "blocs",
    "benefit_threshold",
    "risk_low_threshold",
    "risk_safeguard_threshold",
    "risk_avoid_threshold",
)
# The parts of one consensus rule: the default parts, and those an override per criterion kind or
# criterion may hold.
PARTS = (
    "max_iqr",
    "band",
    "min_percent_in_band",
    "max_percent_opposite_band",
    "max_cv",
    "min_cns",
    "require_rand_agreement",
)
# The rule's parts a plan holds under "rule"; whose answers count and the divide threshold sit at the top.
RULE_KEYS = (*PARTS, "parts_by_kind", "parts_by_criterion")
_THRESHOLDS = {
    "benefit": "benefit_threshold",
    "risk_low": "risk_low_threshold",
    "risk_safeguard": "risk_safeguard_threshold",
    "risk_avoid": "risk_avoid_threshold",
}


def _plain(value: Any) -> Any:
    """JSON-ready and canonical: Decimals as plain decimal strings ("7.0" and "7" are both "7")."""
    if isinstance(value, Decimal | float):
        number = Decimal(str(value)).normalize()
        return format(number, "f")
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _number(value: Any) -> str | None:
    """A number as a plain decimal string, whatever its type (7, 7.0, "7.00" and Decimal("7") are all "7")."""
    if value is None or value == "":
        return None
    return format(Decimal(str(value)).normalize(), "f")


_RULE_NUMBERS = ("max_iqr", "min_percent_in_band", "max_percent_opposite_band", "max_cv", "min_cns")


def _get(source: Any, name: str) -> Any:
    return source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)


def plan_content(settings: Any, rule: Any) -> dict[str, Any]:
    """The plan's content from the study's settings and a rule (a model, a mapping, or None: no rule)."""
    content: dict[str, Any] = {
        "rule": None
        if rule is None
        else {name: (_number if name in _RULE_NUMBERS else _plain)(_get(rule, name)) for name in RULE_KEYS},
        "inclusion": _get(rule, "inclusion") if rule is not None else SUBMITTED,
        "divide_threshold": _number(_get(rule, "divide_threshold")) if rule is not None else None,
        "min_group_size": int(_get(settings, "min_group_size")),
        "quantile_method": _get(settings, "quantile_method"),
        "thresholds": {key: _number(_get(settings, name)) for key, name in _THRESHOLDS.items()},
        "anonymity": _get(settings, "anonymity"),
        "mode": _get(settings, "mode"),
        "feedback_timing": _get(settings, "feedback_timing"),
        "feedback_by_bloc": bool(_get(settings, "feedback_by_bloc")),
        "blocs": list(_get(settings, "blocs") or []),
    }
    if content["rule"] is not None:
        content["rule"]["require_rand_agreement"] = bool(content["rule"]["require_rand_agreement"])
        content["rule"]["band"] = content["rule"]["band"] or ""
        for name in ("parts_by_kind", "parts_by_criterion"):
            content["rule"][name] = content["rule"][name] or {}
    return content


def content_sha256(content: Mapping[str, Any]) -> str:
    """SHA-256 of the content as canonical JSON: sorted keys, no spaces, UTF-8."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed, setting by setting (nested keys joined with dots, e.g. ``rule.max_iqr``), sorted."""
    old, new = _flat(before or {}), _flat(after)
    return [
        {"setting": key, "before": old.get(key), "after": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def _flat(content: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in content.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = value
    return flat
