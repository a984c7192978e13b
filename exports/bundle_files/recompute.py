"""Recompute the aggregates of this bundle from ratings.csv and check them against aggregates.csv.

Usage: python recompute.py  (in the unpacked bundle; needs numpy and scipy)

Uses the copy of analysis.metrics shipped next to this script, the quantile method recorded in
study.json, and the conventions of the codebook: "cannot judge" is excluded from n, SD uses n - 1.
Checks the columns in COMPARED; the RAND/UCLA, stability and consensus columns are not recomputed.
A row withheld by disclosure control (``suppressed``) is checked to stand on fewer than k ratings.
Exits with status 0 when every number matches, 1 otherwise, listing the mismatches.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from analysis import metrics  # noqa: E402

TOLERANCE = 1e-9
COMPARED = ["n", "n_cannot_judge", "median", "q1", "q3", "iqr", "mean", "sd", "cv", "min", "max"]
COMPARED += ["pct_low", "pct_mid", "pct_high", "cns", "vde_a", "bimodality"]


def read_csv(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def recompute(values: list[float], n_cannot_judge: int, scale_min: int, scale_max: int, method: str) -> dict:
    data = np.asarray(values, dtype=float)
    n = data.size
    thirds = metrics.band_counts(data, scale_min, scale_max)
    counts = metrics.category_counts(data, scale_min, scale_max)
    return {
        "n": n,
        "n_cannot_judge": n_cannot_judge,
        "median": metrics.quantile(data, 0.5, method),
        "q1": metrics.quantile(data, 0.25, method),
        "q3": metrics.quantile(data, 0.75, method),
        "iqr": metrics.iqr(data, method),
        "mean": float(np.mean(data)) if n else math.nan,
        "sd": float(np.std(data, ddof=1)) if n >= 2 else math.nan,
        "cv": metrics.coefficient_of_variation(data),
        "min": float(data.min()) if n else math.nan,
        "max": float(data.max()) if n else math.nan,
        "pct_low": thirds["low"],
        "pct_mid": thirds["middle"],
        "pct_high": thirds["high"],
        "cns": metrics.tastle_wierman(counts),
        "vde_a": metrics.van_der_eijk(counts),
        "bimodality": metrics.bimodality_coefficient(data),
    }


def same(expected: str, actual: float) -> bool:
    if expected == "":
        return math.isnan(actual)
    if math.isnan(actual):
        return False
    return math.isclose(float(expected), actual, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def main() -> int:
    config = json.loads((HERE / "study.json").read_text(encoding="utf-8"))
    method = config["study"]["quantile_method"]
    scales = {c["code"]: (c["scale_min"], c["scale_max"]) for c in config["criteria"]}
    # Results count only submitted answers unless the round's rule counts every saved answer.
    inclusion = {rule["version"]: rule.get("inclusion", "submitted") for rule in config["consensus_rules"]}
    all_saved = {str(r["number"]) for r in config["rounds"] if inclusion.get(r["consensus_rule_version"]) == "all"}
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    cannot: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in read_csv("ratings.csv"):
        key = (row["round"], row["area"], row["criterion"])
        if row.get("submitted", "True") != "True" and row["round"] not in all_saved:
            continue
        if row["cannot_judge"] == "True":
            cannot[key] += 1
        else:
            values[key].append(float(row["value"]))
    problems = []
    aggregates = read_csv("aggregates.csv")
    for row in aggregates:
        key = (row["round"], row["area"], row["criterion"])
        criterion = row["criterion"].removeprefix("'")
        scale_min, scale_max = scales[criterion]
        if row["quantile_method"] != method:
            problems.append(f"{key}: quantile method {row['quantile_method']} differs from study.json ({method})")
        if row.get("suppressed") == "True":
            if not 0 < len(values.get(key, [])) < config["study"]["min_group_size"]:
                problems.append(f"{key}: suppressed, but not rated by 1 to k - 1 experts")
            continue
        computed = recompute(values.get(key, []), cannot.get(key, 0), scale_min, scale_max, method)
        for column in COMPARED:
            if not same(row[column], float(computed[column])):
                problems.append(f"{key} {column}: exported {row[column]!r}, recomputed {computed[column]!r}")
    unexported = set(values) | set(cannot)
    unexported -= {(r["round"], r["area"], r["criterion"]) for r in aggregates}
    problems.extend(f"{key}: ratings without an aggregate row" for key in sorted(unexported))
    for problem in problems:
        print("MISMATCH", problem)
    print(f"checked {len(aggregates)} aggregate rows with method {method}: {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
