"""Evaluate a consensus rule (``elicitation.ConsensusRule``) on summary rows, vectorised.

A rule is a set of optional parts combined with AND (DOMAIN.md, "Consensus rules"):

- ``max_iqr``: IQR <= x;
- ``band`` + ``min_percent_in_band``: at least y percent of the ratings in the band (a third of the scale);
- ``max_percent_opposite_band``: at most z percent in the opposite third (low <-> high; for the middle band,
  at most z percent in *each* end third);
- ``max_cv``: CV <= x;
- ``min_cns``: Tastle-Wierman Cns >= w;
- ``require_rand_agreement``: no RAND/UCLA disagreement by the IPRAS test. Defined only for 1-9 scales:
  on other scales this part fails, because the agreement cannot be shown.

A part whose statistic is undefined (NaN, e.g. CV of one rating) fails; a row without ratings never has
consensus. Comparisons allow 1e-9 for float round-off, so "IQR <= 1" holds for an IQR of
1.0000000000000002. A rule without any part gives no verdict (None): consensus cannot be claimed by an
empty definition. No Django here: the rule is read by attribute, so a model instance or a
:class:`RuleParts` both work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

_TOLERANCE: Final = 1e-9
_BAND_COLUMN: Final = {"low": "pct_low", "middle": "pct_mid", "high": "pct_high"}


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


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


def evaluate_parts(rows: pd.DataFrame, rule: RuleParts) -> pd.DataFrame:
    """One boolean column per part the rule uses, for every summary row (same index as ``rows``)."""
    parts: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=np.float64)

    if rule.max_iqr is not None:
        parts["max_iqr"] = column("iqr") <= rule.max_iqr + _TOLERANCE
    if rule.min_percent_in_band is not None:
        parts["min_percent_in_band"] = column(_band_column(rule.band)) >= rule.min_percent_in_band - _TOLERANCE
    if rule.max_percent_opposite_band is not None:
        parts["max_percent_opposite_band"] = _opposite_share(rows, rule.band) <= (
            rule.max_percent_opposite_band + _TOLERANCE
        )
    if rule.max_cv is not None:
        parts["max_cv"] = column("cv") <= rule.max_cv + _TOLERANCE
    if rule.min_cns is not None:
        parts["min_cns"] = column("cns") >= rule.min_cns - _TOLERANCE
    if rule.require_rand_agreement:
        parts["require_rand_agreement"] = (rows["ipras_disagreement"] == False).to_numpy(dtype=bool)  # noqa: E712
    return pd.DataFrame(parts, index=rows.index)


def consensus(rows: pd.DataFrame, rule: RuleParts | None) -> pd.Series:
    """Consensus per summary row under ``rule`` (AND of its parts), as an object Series of True/False/None.

    None everywhere when there is no rule or the rule has no part; False for rows without ratings.
    """
    if rule is None or rule.is_empty:
        return pd.Series([None] * len(rows), index=rows.index, dtype=object)
    parts = evaluate_parts(rows, rule)
    agreed = parts.all(axis=1).to_numpy(dtype=bool) & (rows["n"].to_numpy() > 0)
    return pd.Series(agreed, index=rows.index, dtype=object)


def _band_column(band: str) -> str:
    try:
        return _BAND_COLUMN[band]
    except KeyError:
        raise ValueError(f"a percent-in-band part needs band low, middle or high, got {band!r}") from None


def _opposite_share(rows: pd.DataFrame, band: str) -> np.ndarray:
    low = rows["pct_low"].to_numpy(dtype=np.float64)
    high = rows["pct_high"].to_numpy(dtype=np.float64)
    if band == "high":
        return low
    if band == "low":
        return high
    if band == "middle":
        return np.maximum(low, high)
    raise ValueError(f"a ceiling on the opposite band needs band low, middle or high, got {band!r}")
