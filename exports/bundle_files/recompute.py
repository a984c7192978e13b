"""Recompute every result table of this bundle from ratings.csv and the analysis settings, and compare.

Usage: python recompute.py  (in the unpacked bundle, or with the bundle's folder as argument; needs numpy,
scipy and pandas, the versions study.json names under "software")

Each round's counted ratings (the answers of experts who submitted the round, or every saved answer when
the round's settings say so), its analysis settings (study.json, rounds[].analysis_settings: the rule, k,
the quantile method, the verdict and divide thresholds) and the counted ratings of the round before go
through ``analysis.compute.compute_with``: the code the application ran, shipped unchanged in analysis/.
The recomputed tables are compared with the stored ones, cell by cell: aggregates, results, stability,
divides, verdicts and agreement. Numbers match within 1e-9 (relative or absolute), text and flags exactly;
a row on one side only is a difference too. Prints one line per difference and exits with status 1 if
there is any, 0 otherwise.

What cannot be recomputed is said, not counted as a difference: in strict anonymity the ratings carry
no pseudonym or bloc, so only the whole panel's figures that need neither are checked (not the blocs,
stability, divides or agreement); stability needs the round before in the bundle; a round whose ratings
the bundle leaves out (strict anonymity exports closed rounds only) is not checked.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.compute import RoundResults, compute_with  # noqa: E402
from analysis.settings import ALL_SAVED, AnalysisSettings  # noqa: E402
from analysis.summary import PANEL, RATING_COLUMNS  # noqa: E402

TOLERANCE = 1e-9
TABLES = ("aggregates", "results", "stability", "divides", "verdicts", "agreement")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROUND_ITEM = ("round", "area", "criterion")
# The columns of each stored table that are figures of the analysis (the rest identify rows or runs).
SUMMARY = [
    "quantile_method", "n", "n_cannot_judge", "mean", "sd", "median", "q1", "q3", "iqr", "cv", "pct_low",
    "pct_mid", "pct_high", "cns", "vde_a", "bimodality", "p30", "p70", "ipr", "ipras", "rand_class",
    "ipras_disagreement", "classic_disagreement", "consensus", "consensus_band",
]  # fmt: skip
STABILITY = ["stability_pairs", "delta_cv", "wilcoxon_statistic", "wilcoxon_p", "changed_share"]
DIVIDES = [
    "rank", "verdict", "split_reason", "blocs_compared", "bloc_ends", "bloc_medians", "max_median_difference",
    "kruskal_h", "kruskal_p", "bloc_a", "bloc_b", "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm",
    "pairwise",
]  # fmt: skip
VERDICTS = ["verdict", "min_benefit_median", "max_risk_median", "benefits_agreed", "risks_agreed"]
AGREEMENT = [
    "n_areas", "kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "kendall_raters", "alpha_ordinal",
    "alpha_interval",
]  # fmt: skip


def plain(text: str) -> str:
    """A cell as the application had it, before formula neutralisation (a leading apostrophe) for spreadsheets."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def read_csv(name: str) -> list[dict[str, str]]:
    path = HERE / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{key: plain(value) for key, value in row.items()} for row in csv.DictReader(handle)]


class Bundle:
    """The bundle's configuration and ratings, each round's settings, and whether experts can be told apart."""

    def __init__(self) -> None:
        self.config = json.loads((HERE / "study.json").read_text(encoding="utf-8"))
        self.criteria = {c["code"]: (c["code"], c["kind"]) for c in self.config["criteria"]}
        self.kinds = {code: kind for code, (_code, kind) in self.criteria.items()}
        self.area_order = {a["code"]: i for i, a in enumerate(self.config["areas"])}
        self.criterion_order = {c["code"]: i for i, c in enumerate(self.config["criteria"])}
        self.rounds = {str(r["number"]): r for r in self.config["rounds"]}
        rows = read_csv("ratings.csv")
        self.strict = bool(rows) and "pseudonym" not in rows[0]
        self.ratings = self._frame(rows)

    def _frame(self, rows: list[dict[str, str]]) -> pd.DataFrame:
        scales = {c["code"]: (c["scale_min"], c["scale_max"]) for c in self.config["criteria"]}
        frame = pd.DataFrame(
            {
                "round": [r["round"] for r in rows],
                "area": [r["area"] for r in rows],
                "criterion": [r["criterion"] for r in rows],
                # Strict anonymity: no pseudonym, so every rating stands for itself (n is still a count of experts).
                "expert": [r.get("pseudonym", str(i)) for i, r in enumerate(rows)],
                "bloc": [r.get("bloc", "") for r in rows],
                "value": [math.nan if r["cannot_judge"] == "True" else float(r["value"]) for r in rows],
                "submitted": [r.get("submitted", "True") == "True" for r in rows],
            }
        )
        frame["scale_min"] = frame["criterion"].map(lambda code: scales[code][0]).astype("int64")
        frame["scale_max"] = frame["criterion"].map(lambda code: scales[code][1]).astype("int64")
        return frame

    def settings(self, number: str) -> AnalysisSettings:
        return AnalysisSettings.from_mapping(self.rounds[number]["analysis_settings"], self.criteria)

    def counted(self, number: str) -> pd.DataFrame | None:
        """The ratings the round's results count, or None when the bundle leaves the round's ratings out."""
        if number not in self.rounds or not self.rounds[number].get("ratings_exported", True):
            return None
        frame = self.ratings[self.ratings["round"] == number]
        if self.settings(number).inclusion != ALL_SAVED:
            frame = frame[frame["submitted"]]
        return frame[list(RATING_COLUMNS)].reset_index(drop=True)


class Comparison:
    def __init__(self) -> None:
        self.differences: list[str] = []
        self.notes: list[str] = []
        self.checked: dict[str, int] = {}

    def rows(
        self,
        table: str,
        stored: Iterable[Mapping[str, str]],
        recomputed: Mapping[tuple[str, ...], Mapping[str, Any]],
        key: tuple[str, ...],
        columns: list[str],
        rounds: set[str],
    ) -> None:
        """Compare the stored rows of ``rounds`` with the recomputed ones, both ways, on ``columns``."""
        seen = set()
        for row in stored:
            if row["round"] not in rounds:
                continue
            where = tuple(row[name] for name in key)
            seen.add(where)
            self.checked[table] = self.checked.get(table, 0) + 1
            if where not in recomputed:
                self.differences.append(f"{table} {where}: stored, but not recomputed from the ratings")
                continue
            mine = recomputed[where]
            for column in columns:
                if column in row and not same(row[column], mine.get(column)):
                    self.differences.append(
                        f"{table} {where} {column}: stored {row[column]!r}, recomputed {cell_text(mine.get(column))!r}"
                    )
        for where in sorted(set(recomputed) - seen):
            self.differences.append(f"{table} {where}: recomputed from the ratings, but not stored")


def missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float | np.floating) and math.isnan(value))


def same(stored: str, value: Any) -> bool:
    """A stored cell against a recomputed value: empty = missing, numbers within the tolerance, JSON as data."""
    if missing(value):
        return stored == ""
    if stored == "":
        return False
    if isinstance(value, bool | np.bool_):
        return stored == str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return math.isclose(float(stored), float(value), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        except ValueError:
            return False
    if isinstance(value, list | dict):
        return close(json.loads(stored), value)
    if isinstance(value, Listing):
        return sorted(stored.split(LISTING)) == sorted(str(value).split(LISTING))
    return stored == str(value)


LISTING = "; "


class Listing(str):
    """'bloc: figure; bloc: figure': compared as a set of parts (the database keeps JSON keys in its own order)."""

    __slots__ = ()


def close(stored: Any, value: Any) -> bool:
    if isinstance(value, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == value.keys()
            and all(close(stored[k], value[k]) for k in value)
        )
    if isinstance(value, list):
        return isinstance(stored, list) and len(stored) == len(value) and all(map(close, stored, value))
    if stored is None or missing(value):
        return missing(value) and (stored is None or missing(stored))
    if isinstance(value, int | float) and isinstance(stored, int | float):
        return math.isclose(stored, value, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(stored == value)


def cell_text(value: Any) -> str:
    return "" if missing(value) else str(value)


def summary_rows(number: str, results: RoundResults, ratings: pd.DataFrame, settings: AnalysisSettings) -> dict:
    """(round, area, criterion, group) -> the summary row as exported: figures of a suppressed row empty."""
    on_scale = ratings.dropna(subset=["value"]).groupby(["area", "criterion"])["value"]
    low, high = on_scale.min(), on_scale.max()
    rows = {}
    for row in results.items.to_dict("records"):
        if row["suppressed"]:
            row = {"suppressed": True, "group": row["group"], "area": row["area"], "criterion": row["criterion"]}
        elif row["group"] == PANEL:
            item = (row["area"], row["criterion"])
            row["min"], row["max"] = low.get(item), high.get(item)
        row["quantile_method"] = settings.quantile_method
        rows[(number, row["area"], row["criterion"], row["group"])] = row
    return rows


def divide_rows(number: str, results: RoundResults, bundle: Bundle) -> dict:
    """(round, area, criterion) -> the divide as exported, ranked as the application ranks them."""
    frame = results.cross_bloc.copy()
    frame["area_order"] = frame["area"].map(bundle.area_order)
    frame["criterion_order"] = frame["criterion"].map(bundle.criterion_order)
    frame = frame.sort_values(
        ["max_median_difference", "kruskal_p", "area_order", "criterion_order"],
        ascending=[False, True, True, True],
        na_position="last",
        kind="stable",
    )
    rows = {}
    for rank, row in enumerate(frame.to_dict("records"), start=1):
        row["rank"] = rank
        row["blocs_compared"] = LISTING.join(row["blocs_compared"])
        row["bloc_ends"] = Listing(LISTING.join(f"{bloc}: {end}" for bloc, end in row["bloc_ends"].items()))
        row["bloc_medians"] = Listing(LISTING.join(f"{b}: {median:g}" for b, median in row["group_medians"].items()))
        row["pairwise"] = row["pairwise"] or None
        rows[(number, row["area"], row["criterion"])] = row
    return rows


def by_key(frame: pd.DataFrame, number: str, names: list[str]) -> dict:
    return {(number, *(str(row[name]) for name in names)): row for row in frame.to_dict("records")}


def recompute(bundle: Bundle, check: Comparison) -> None:
    stored = {name: read_csv(f"{name}.csv") for name in TABLES}
    with_results = {row["round"] for row in stored["results"]}
    for number in sorted(bundle.rounds, key=int):
        if number not in with_results:
            check.notes.append(f"round {number}: no stored results (no completed aggregation run), nothing to compare")
            continue
        ratings = bundle.counted(number)
        if ratings is None or ratings.empty:
            check.notes.append(f"round {number}: the bundle holds none of its counted ratings; not checked")
            continue
        settings = bundle.settings(number)
        before = bundle.rounds[number].get("previous_round")
        previous = None
        if before is not None and str(before) in bundle.rounds and not bundle.strict:
            previous = bundle.counted(str(before))
        results = compute_with(ratings, settings, kinds=bundle.kinds, previous=previous)
        rounds = {number}
        items = summary_rows(number, results, ratings, settings)
        panel = {key[:3]: row for key, row in items.items() if key[3] == PANEL}
        stability_known = previous is not None
        figures = SUMMARY + (STABILITY if stability_known else [])
        check.rows(
            "aggregates", stored["aggregates"], panel, ROUND_ITEM, [*figures, "min", "max", "suppressed"], rounds
        )
        if before is not None and not stability_known:
            reason = "strict anonymity: no pseudonyms to pair" if bundle.strict else f"round {before} is not in it"
            check.notes.append(f"round {number}: stability not checked ({reason})")
        if bundle.strict:
            check.notes.append(f"round {number}: strict anonymity, so blocs, divides and agreement are not checked")
            check.rows(
                "results", [r for r in stored["results"] if r["group"] == ""], panel, ROUND_ITEM, figures, rounds
            )
            panel_verdicts = by_key(results.verdicts[results.verdicts["group"] == PANEL], number, ["area"])
            stored_panel = [r for r in stored["verdicts"] if r["group"] == ""]
            check.rows("verdicts", stored_panel, panel_verdicts, ("round", "area"), VERDICTS, rounds)
            continue
        check.rows("results", stored["results"], items, (*ROUND_ITEM, "group"), [*figures, "suppressed"], rounds)
        if stability_known:
            later = {key: {**row, "previous_round": before} for key, row in items.items()}
            columns = [*STABILITY, "suppressed", "previous_round"]
            check.rows("stability", stored["stability"], later, (*ROUND_ITEM, "group"), columns, rounds)
        check.rows("divides", stored["divides"], divide_rows(number, results, bundle), ROUND_ITEM, DIVIDES, rounds)
        verdicts = by_key(results.verdicts, number, ["area", "group"])
        check.rows("verdicts", stored["verdicts"], verdicts, ("round", "area", "group"), VERDICTS, rounds)
        agreement = by_key(results.criteria, number, ["criterion"])
        check.rows("agreement", stored["agreement"], agreement, ("round", "criterion"), AGREEMENT, rounds)


def shipped_code_hash() -> str:
    """The hash the application's code_version ends with, of the analysis package shipped here."""
    package = Path(__file__).resolve().parent / "analysis"
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py"), key=lambda p: p.as_posix()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def code_notes(check: Comparison) -> None:
    versions = {row["code_version"] for row in read_csv("results.csv")} - {""}
    shipped = shipped_code_hash()
    for version in sorted(versions):
        if not version.endswith(f"+{shipped}"):
            check.notes.append(f"results computed by code {version}; the analysis/ shipped here is +{shipped}")


def main(report: Callable[[str], None] = print) -> int:
    bundle = Bundle()
    check = Comparison()
    recompute(bundle, check)
    code_notes(check)
    for note in check.notes:
        report(f"NOTE {note}")
    for difference in check.differences:
        report(f"DIFFERENCE {difference}")
    tables = ", ".join(f"{table} {check.checked[table]}" for table in TABLES if table in check.checked)
    total = sum(check.checked.values())
    found = len(check.differences)
    report(f"checked {total} stored rows ({tables}) of {len(bundle.rounds)} rounds: {found} differences")
    return 1 if check.differences else 0


if __name__ == "__main__":
    sys.exit(main())
