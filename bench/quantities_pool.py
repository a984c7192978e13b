"""Benchmark of the aggregation job's quantity step: a whole round pooled per question, panel and blocs.

``analysis.pooling.pool_round`` on the synthetic panel of ``bench/cooke.py`` (default 100 experts x 200
questions, 20 seeds, 5/50/95 quantiles), the experts split over four blocs: the panel and each bloc are
pooled three ways (equal, global and item weights at the optimised cutoff), 15 runs of the classical
model, plus the disclosure check per question. A benchmark, not a test: nothing here asserts. No database.

    .venv/bin/python -m bench.quantities_pool [--experts 100 --questions 200 --seeds 20 --repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from analysis.pooling import Answer, Question, pool_round
from bench.cooke import synthetic_panel

BLOCS = ("United States", "China", "Europe", "Other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--experts", type=int, default=100)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    panel = synthetic_panel(experts=args.experts, questions=args.questions, seeds=args.seeds, seed=2026)
    values, truths = panel["assessments"], panel["realizations"]
    questions = [
        Question(j, False, None, None, panel["background"][j], None if np.isnan(truths[j]) else float(truths[j]))
        for j in range(args.questions)
    ]
    answers = [
        Answer(expert=i, question=j, values=tuple(float(v) for v in values[i, j]))
        for i in range(args.experts)
        for j in range(args.questions)
        if not np.isnan(values[i, j, 0])
    ]
    blocs = {i: BLOCS[i % len(BLOCS)] for i in range(args.experts)}
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        pooled = pool_round(answers, questions, blocs, quantiles=[0.05, 0.5, 0.95], idea=False, min_group_size=5)
        times.append(time.perf_counter() - started)
    print(
        f"{args.experts} experts x {args.questions} questions ({args.seeds} seeds), {len(BLOCS)} blocs; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}: {len(pooled.questions)} pooled rows, "
        f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"
    )


if __name__ == "__main__":
    main()
