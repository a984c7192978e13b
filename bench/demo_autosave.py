"""Benchmark: an expert's autosave in the demo (SQLite, tasks in-process), server time per save.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    python bench/demo_autosave.py [--saves 200]

It builds the demo in a fresh SQLite file (the embedded defaults: no Redis, tasks in-process), opens its
third round, lets the demo's experts save one answer at a time through the real view (the test client:
the time measured is the server's, from request to response), and prints the median and 95th percentile.
Beside it, in the same run and on the same data, it times what each save used to wait for (one
aggregation of the open round), how many aggregation runs the saves recorded, and the dashboard read that
then runs the coalesced one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _embedded(db_path: Path) -> None:
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "CELERY_TASK_ALWAYS_EAGER"):
        os.environ.pop(name, None)
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{db_path}",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="coopsurvey.settings",
        LOG_LEVEL="WARNING",
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _embedded(Path(folder) / "demo.sqlite3")
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from django.utils import timezone

        from aggregation.models import AggregationRun
        from aggregation.services import round_aggregate
        from elicitation.demo import ensure_demo_user, load_demo
        from elicitation.models import Round
        from elicitation.rounds.services.lifecycle import round_open
        from elicitation.setup.services.tokens import token_issue

        call_command("migrate", verbosity=0)
        study = load_demo().study
        coordinator = ensure_demo_user()
        round_ = round_open(
            round=study.rounds.get(status=Round.Status.DRAFT),
            user=coordinator,
            deadline=timezone.now() + timedelta(days=7),
        )
        items = list(round_.items.order_by("pk"))
        experts = list(study.experts.filter(is_active=True).order_by("number"))
        clients = []
        for expert in experts:
            client = Client()
            client.get(f"/e/{token_issue(expert=expert)}/")
            client.post("/e/consent/", {"consent": "yes"})
            clients.append(client)

        url = f"/e/round/{round_.uuid}/save/"
        timings: list[float] = []
        for number in range(args.saves):
            client = clients[number % len(clients)]
            item = items[(number // len(clients)) % len(items)]
            data = {f"r-{item.area_id}-{item.criterion_id}": str(1 + number % 9)}
            start = time.perf_counter()
            response = client.post(url, data, HTTP_HX_REQUEST="true")
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content[:300]
        recorded = AggregationRun.objects.filter(round=round_).count()
        trivial = []
        for _ in range(50):
            start = time.perf_counter()
            clients[0].get("/livez")
            trivial.append(time.perf_counter() - start)

        dashboard = Client()
        dashboard.force_login(coordinator)
        start = time.perf_counter()
        assert dashboard.get(f"/studies/{study.uuid}/dashboard/").status_code == 200
        first_read = time.perf_counter() - start
        start = time.perf_counter()
        assert dashboard.get(f"/studies/{study.uuid}/dashboard/").status_code == 200
        second_read = time.perf_counter() - start
        runs = list(AggregationRun.objects.filter(round=round_).values_list("status", flat=True))

        aggregations = []
        for _ in range(5):
            start = time.perf_counter()
            round_aggregate(round_id=round_.pk)
            aggregations.append(time.perf_counter() - start)

    median, p95 = statistics.median(timings), _percentile(timings, 0.95)
    aggregation = statistics.median(aggregations)
    print(f"demo: {len(experts)} experts, {len(items)} items in the open round; {args.saves} autosaves")
    print(f"autosave server time: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    print(f"/livez on the same client, same run: median {statistics.median(trivial) * 1000:.2f} ms")
    print(f"one aggregation of the open round (what each save used to wait for): median {aggregation * 1000:.0f} ms")
    print(f"ratio: autosave median / (autosave + aggregation) = {median / (median + aggregation):.3f}")
    print(f"aggregation runs recorded by the {args.saves} saves: {recorded} (coalesced)")
    print(
        f"dashboard read running the coalesced job: {first_read * 1000:.0f} ms; next read {second_read * 1000:.0f} ms"
    )
    print(f"runs of the open round after the read: {sorted(runs)}")


if __name__ == "__main__":
    main()
