"""Benchmark of Cooke's classical model on a synthetic panel (a benchmark, not a test: nothing here asserts).

Pools ``--experts`` x ``--questions`` quantity answers (default 100 x 200, of which ``--seeds`` 20 are seed
questions; 5%/50%/95% quantiles, a quarter of the questions on a log background, 2% unanswered) with
:func:`analysis.metrics.cooke.classical_model` in each setting, and prints the median and the spread of
``--repeat`` runs. The optimised settings pool one decision maker per candidate cutoff (one per expert) over
the seeds, then the chosen one over every question. No database, no Django.

    .venv/bin/python -m bench.cooke [--experts 100 --questions 200 --seeds 20 --repeat 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

import numpy as np

from analysis.metrics.cooke import WeightType, classical_model

SETTINGS: list[tuple[str, WeightType, float | None]] = [
    ("global, optimised cutoff", "global", None),
    ("item, optimised cutoff", "item", None),
    ("global, alpha 0", "global", 0.0),
    ("equal weights", "equal", None),
]


def synthetic_panel(*, experts: int, questions: int, seeds: int, seed: int) -> dict[str, Any]:
    """Experts with their own bias and over- or under-confidence answering questions of varied scale."""
    rng = np.random.default_rng(seed)
    log_items = rng.random(questions) < 0.25
    truth = rng.normal(0.0, 1.0, questions)  # on the background scale
    bias = rng.normal(0.0, 0.5, experts)
    spread = rng.lognormal(0.0, 0.5, experts)
    medians = truth[None, :] + bias[:, None] + rng.normal(0.0, 0.7, (experts, questions))
    half_width = spread[:, None] * rng.lognormal(0.0, 0.3, (experts, questions))
    low = medians - half_width * rng.uniform(0.6, 1.4, (experts, questions))
    high = medians + half_width * rng.uniform(0.6, 1.4, (experts, questions))
    values = np.stack([low, medians, high], axis=2)
    offset = np.where(log_items, 0.0, 10.0)  # uniform items around 10, log items around 1 (e^0)
    values = np.where(log_items[None, :, None], np.exp(values), values + offset[None, :, None])
    values[rng.random((experts, questions)) < 0.02] = np.nan
    realizations = np.where(log_items, np.exp(truth), truth + offset)
    realizations[seeds:] = np.nan
    return {
        "assessments": values,
        "realizations": realizations,
        "background": ["log" if is_log else "uniform" for is_log in log_items],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--experts", type=int, default=100)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    panel = synthetic_panel(experts=args.experts, questions=args.questions, seeds=args.seeds, seed=args.seed)
    print(
        f"{args.experts} experts x {args.questions} questions ({args.seeds} seeds), quantiles 5/50/95; "
        f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for label, weights, alpha in SETTINGS:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = classical_model(
                panel["assessments"],
                panel["realizations"],
                [0.05, 0.5, 0.95],
                weights=weights,
                alpha=alpha,
                background=panel["background"],
            )
            times.append(time.perf_counter() - started)
        candidates = 0 if result.cutoff_scan is None else len(result.cutoff_scan)
        print(
            f"{label:26s} median {statistics.median(times) * 1000:7.1f} ms  "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}; {candidates} candidate cutoffs; "
            f"cutoff {result.cutoff:.4g}, DM calibration {result.dm_calibration:.4g}, "
            f"experts weighted {(result.weights_normalised > 0).sum()})"
        )


if __name__ == "__main__":
    main()
