"""Evaluate a consensus rule (``elicitation.ConsensusRule``) on summary rows, vectorised.

A rule is a set of optional parts combined with AND (DOMAIN.md, "Consensus rules"):

- ``max_iqr``: IQR <= x;
- ``band`` + ``min_percent_in_band``: at least y percent of the ratings in the band (a third of the scale).
  The band is ``low``, ``middle``, ``high`` or ``either``: "either" is agreement at one end, the lowest or
  the highest third, as the COMET "consensus in" / "consensus out" rules (Williamson et al. 2017);
- ``max_percent_opposite_band``: at most z percent in the opposite third (low <-> high; for the middle band,
  at most z percent in *each* end third; for "either", the third opposite the end the ratings agree on);
- ``max_cv``: CV <= x;
- ``min_cns``: Tastle-Wierman Cns >= w;
- ``require_rand_agreement``: no RAND/UCLA disagreement by the IPRAS test. Defined only for 1-9 scales:
  on other scales this part fails, because the agreement cannot be shown.

A part whose statistic is undefined (NaN, e.g. CV of one rating) fails; a row without ratings never has
consensus. Each agreed row also records the end it agreed on (:func:`agreement`): the rule's band, the end
that passed for "either", and for a rule without a band the third holding most ratings.

A study's rule can differ per criterion kind (benefit, risk, mitigability) or per criterion: a
:class:`RuleSet` holds the default parts and the overrides, and picks the parts for each row by its
criterion. Comparisons allow 1e-9 for float round-off, so "IQR <= 1" holds for an IQR of
1.0000000000000002. A rule without any part gives no verdict (None): consensus cannot be claimed by an
empty definition. No Django here: the rule is read by attribute, so a model instance or a
:class:`RuleParts` both work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

_TOLERANCE: Final = 1e-9
_BAND_COLUMN: Final = {"low": "pct_low", "middle": "pct_mid", "high": "pct_high"}
BANDS: Final = ("low", "middle", "high", "either")
EITHER: Final = "either"


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


@dataclass(frozen=True)
class RuleParts:
    """The parts of one consensus rule version, as plain floats (None = the part is not used)."""

    version: int | None = None
    max_iqr: float | None = None
    band: str = ""
    min_percent_in_band: float | None = None
    max_percent_opposite_band: float | None = None
    max_cv: float | None = None
    min_cns: float | None = None
    require_rand_agreement: bool = False

    @classmethod
    def from_rule(cls, rule: Any) -> RuleParts:
        """From an ``elicitation.ConsensusRule`` (Decimal fields) or any object with the same attributes."""
        return cls(
            version=getattr(rule, "version", None),
            max_iqr=_number(rule.max_iqr),
            band=rule.band or "",
            min_percent_in_band=_number(rule.min_percent_in_band),
            max_percent_opposite_band=_number(rule.max_percent_opposite_band),
            max_cv=_number(rule.max_cv),
            min_cns=_number(rule.min_cns),
            require_rand_agreement=bool(rule.require_rand_agreement),
        )

    @classmethod
    def from_dict(cls, parts: Mapping[str, Any], *, version: int | None = None) -> RuleParts:
        """From a mapping of part names (an override stored as JSON); missing parts are not used."""
        return cls(
            version=version,
            max_iqr=_number(parts.get("max_iqr")),
            band=parts.get("band") or "",
            min_percent_in_band=_number(parts.get("min_percent_in_band")),
            max_percent_opposite_band=_number(parts.get("max_percent_opposite_band")),
            max_cv=_number(parts.get("max_cv")),
            min_cns=_number(parts.get("min_cns")),
            require_rand_agreement=bool(parts.get("require_rand_agreement")),
        )

    @property
    def is_empty(self) -> bool:
        return not self.part_names()

    def part_names(self) -> list[str]:
        names = [
            name
            for name in ("max_iqr", "min_percent_in_band", "max_percent_opposite_band", "max_cv", "min_cns")
            if getattr(self, name) is not None
        ]
        return [*names, "require_rand_agreement"] if self.require_rand_agreement else names


@dataclass(frozen=True)
class RuleSet:
    """A study's whole rule: default parts, and parts that replace them for a criterion kind or one criterion.

    ``kinds`` maps criterion id to its kind; ``by_criterion`` is keyed by criterion id. The most specific
    parts win: the criterion's own, then its kind's, then the default.
    """

    default: RuleParts
    by_kind: Mapping[str, RuleParts] = field(default_factory=dict)
    by_criterion: Mapping[Any, RuleParts] = field(default_factory=dict)
    kinds: Mapping[Any, str] = field(default_factory=dict)

    @classmethod
    def from_rule(cls, rule: Any, criteria: Mapping[Any, tuple[str, str]]) -> RuleSet:
        """From an ``elicitation.ConsensusRule``; ``criteria`` maps criterion id to (code, kind)."""
        version = getattr(rule, "version", None)
        by_kind = {
            kind: RuleParts.from_dict(parts, version=version) for kind, parts in (rule.parts_by_kind or {}).items()
        }
        by_code = rule.parts_by_criterion or {}
        return cls(
            default=RuleParts.from_rule(rule),
            by_kind=by_kind,
            by_criterion={
                criterion: RuleParts.from_dict(by_code[code], version=version)
                for criterion, (code, _kind) in criteria.items()
                if code in by_code
            },
            kinds={criterion: kind for criterion, (_code, kind) in criteria.items()},
        )

    @property
    def version(self) -> int | None:
        return self.default.version

    def parts_for(self, criterion: Any) -> RuleParts:
        if criterion in self.by_criterion:
            return self.by_criterion[criterion]
        return self.by_kind.get(self.kinds.get(criterion, ""), self.default)


def evaluate_parts(rows: pd.DataFrame, rule: RuleParts) -> pd.DataFrame:
    """One boolean column per part the rule uses, for every summary row (same index as ``rows``).

    For the band "either", ``min_percent_in_band`` holds where either end has enough ratings, and
    ``max_percent_opposite_band`` is checked against the end that does (where neither does, against both).
    """
    parts: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=np.float64)

    if rule.max_iqr is not None:
        parts["max_iqr"] = column("iqr") <= rule.max_iqr + _TOLERANCE
    if rule.band == EITHER:
        high_ok, low_ok = _end_passes(rows, rule, "high"), _end_passes(rows, rule, "low")
        if rule.min_percent_in_band is not None:
            parts["min_percent_in_band"] = _in_band(rows, rule, "high") | _in_band(rows, rule, "low")
        if rule.max_percent_opposite_band is not None:
            parts["max_percent_opposite_band"] = (
                high_ok
                | low_ok
                | (
                    ~_in_band(rows, rule, "high")
                    & ~_in_band(rows, rule, "low")
                    & _opposite_ok(rows, rule, "high")
                    & _opposite_ok(rows, rule, "low")
                )
            )
    else:
        if rule.min_percent_in_band is not None:
            parts["min_percent_in_band"] = _in_band(rows, rule, rule.band)
        if rule.max_percent_opposite_band is not None:
            parts["max_percent_opposite_band"] = _opposite_ok(rows, rule, rule.band)
    if rule.max_cv is not None:
        parts["max_cv"] = column("cv") <= rule.max_cv + _TOLERANCE
    if rule.min_cns is not None:
        parts["min_cns"] = column("cns") >= rule.min_cns - _TOLERANCE
    if rule.require_rand_agreement:
        parts["require_rand_agreement"] = (rows["ipras_disagreement"] == False).to_numpy(dtype=bool)  # noqa: E712
    return pd.DataFrame(parts, index=rows.index)


def agreement(rows: pd.DataFrame, rule: RuleParts | RuleSet | None) -> pd.DataFrame:
    """``consensus`` (True/False/None) and ``consensus_band`` ("low", "middle", "high" or "") per summary row.

    None everywhere when there is no rule or the parts for a row are empty; False for rows without ratings.
    ``consensus_band`` is empty unless the row has consensus. A :class:`RuleSet` needs a ``criterion`` column.
    """
    agreed = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    band = pd.Series([""] * len(rows), index=rows.index, dtype=object)
    if rule is None:
        return pd.DataFrame({"consensus": agreed, "consensus_band": band})
    if isinstance(rule, RuleParts):
        groups: list[tuple[RuleParts, np.ndarray]] = [(rule, np.ones(len(rows), dtype=bool))]
    else:
        parts_of = [rule.parts_for(criterion) for criterion in pd.unique(rows["criterion"])]
        by_parts: dict[RuleParts, list[Any]] = {}
        for criterion, parts in zip(pd.unique(rows["criterion"]), parts_of, strict=True):
            by_parts.setdefault(parts, []).append(criterion)
        groups = [(parts, rows["criterion"].isin(criteria).to_numpy()) for parts, criteria in by_parts.items()]
    for parts, chosen in groups:
        if parts.is_empty or not chosen.any():
            continue
        subset = rows[chosen]
        passed = evaluate_parts(subset, parts).all(axis=1).to_numpy(dtype=bool) & (subset["n"].to_numpy() > 0)
        agreed[chosen] = passed
        band[chosen] = np.where(passed, _agreed_band(subset, parts), "")
    return pd.DataFrame({"consensus": agreed, "consensus_band": band})


def consensus(rows: pd.DataFrame, rule: RuleParts | RuleSet | None) -> pd.Series:
    """Consensus per summary row under ``rule`` (AND of its parts), as an object Series of True/False/None.

    None everywhere when there is no rule or the rule has no part; False for rows without ratings.
    """
    return agreement(rows, rule)["consensus"]


def _agreed_band(rows: pd.DataFrame, rule: RuleParts) -> np.ndarray:
    """The end each row agrees on if it has consensus: the rule's band, the passing end, or the fullest third."""
    if rule.band in _BAND_COLUMN:
        return np.full(len(rows), rule.band, dtype=object)
    shares = rows[["pct_low", "pct_mid", "pct_high"]].to_numpy(dtype=np.float64)
    fullest = np.array(["low", "middle", "high"], dtype=object)[np.nan_to_num(shares, nan=-1.0).argmax(axis=1)]
    if rule.band == EITHER:
        return np.where(
            _end_passes(rows, rule, "high"), "high", np.where(_end_passes(rows, rule, "low"), "low", fullest)
        )
    return fullest


def _in_band(rows: pd.DataFrame, rule: RuleParts, band: str) -> np.ndarray:
    if rule.min_percent_in_band is None:
        return np.ones(len(rows), dtype=bool)
    share = rows[_band_column(band)].to_numpy(dtype=np.float64)
    return share >= rule.min_percent_in_band - _TOLERANCE


def _opposite_ok(rows: pd.DataFrame, rule: RuleParts, band: str) -> np.ndarray:
    if rule.max_percent_opposite_band is None:
        return np.ones(len(rows), dtype=bool)
    return _opposite_share(rows, band) <= rule.max_percent_opposite_band + _TOLERANCE


def _end_passes(rows: pd.DataFrame, rule: RuleParts, band: str) -> np.ndarray:
    return _in_band(rows, rule, band) & _opposite_ok(rows, rule, band)


def _band_column(band: str) -> str:
    try:
        return _BAND_COLUMN[band]
    except KeyError:
        raise ValueError(f"a percent-in-band part needs band low, middle, high or either, got {band!r}") from None


def _opposite_share(rows: pd.DataFrame, band: str) -> np.ndarray:
    low = rows["pct_low"].to_numpy(dtype=np.float64)
    high = rows["pct_high"].to_numpy(dtype=np.float64)
    if band == "high":
        return low
    if band == "low":
        return high
    if band == "middle":
        return np.maximum(low, high)
    raise ValueError(f"a ceiling on the opposite band needs band low, middle, high or either, got {band!r}")
