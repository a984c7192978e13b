"""Benchmark: how fast hostile bodies are refused (the issue's sizes); a time bound, not a timed test.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    python bench/hostile_input.py            # no database needed: the checks that were slow are pure

Measured, each the best of 5 runs after one warm-up:
- the panel CSV's header check (``elicitation.setup.services.imports.read_csv``) on headers of 138,887
  and 20,000 distinct columns (the issue: 30 s timeout and 8.5 s), and on one just under the cap;
- the API's JSON parser (``api.parsers.JSONParser``) on 50,000 nested lists (the issue: a 500) and
  on an ordinary ``me/ratings`` body of 200 answers, for scale.
Each refusal must take under TARGET_SECONDS.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")
os.environ.setdefault("DEBUG", "1")

TARGET_SECONDS = 0.5
RUNS = 5


def best_of(action: Callable[[], object]) -> float:
    action()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    import django

    django.setup()
    import json

    from rest_framework.exceptions import ParseError

    from api.parsers import JSONParser
    from core.errors import ImportFailed
    from elicitation.setup.services.imports import EXPERT_COLUMNS, MAX_COLUMNS, MAX_EXPERT_ROWS, read_csv
    from tests.security.hostile import nested_json, wide_panel_csv

    def header_check(data: bytes) -> object:
        try:
            return read_csv(data, required=EXPERT_COLUMNS, allowed=lambda name: False, max_rows=MAX_EXPERT_ROWS)
        except ImportFailed as refused:
            return refused

    def parse(body: bytes) -> object:
        try:
            return JSONParser().parse(io.BytesIO(body), "application/json", {})
        except ParseError as refused:
            return refused

    answer = {"area": "0" * 36, "criterion": "0" * 36, "value": 7}
    # (what, the body, how it is checked, whether it is a refusal held to the target)
    cases: list[tuple[str, bytes, Callable[[bytes], object], bool]] = [
        ("panel CSV, 138,887-column header", wide_panel_csv(138_887), header_check, True),
        ("panel CSV, 20,000-column header", wide_panel_csv(20_000), header_check, True),
        (f"panel CSV, {MAX_COLUMNS}-column header (the cap)", wide_panel_csv(MAX_COLUMNS), header_check, True),
        ("JSON, 50,000 nested lists", nested_json(50_000), parse, True),
        ("JSON, me/ratings with 200 answers", json.dumps({"answers": [answer] * 200}).encode(), parse, False),
    ]
    print(f"{'case':<44} {'bytes':>9} {'best of 5':>11}  target {TARGET_SECONDS * 1000:.0f} ms")
    failed = False
    for name, body, check, bounded in cases:
        seconds = best_of(lambda body=body, check=check: check(body))  # type: ignore[misc]
        verdict = ("ok" if seconds < TARGET_SECONDS else "TOO SLOW") if bounded else "-"
        failed |= verdict == "TOO SLOW"
        print(f"{name:<44} {len(body):>9,} {seconds * 1000:>8.2f} ms  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
