"""Benchmark: the ``aggregates`` table downloaded as CSV and JSON, as the API's ``tables/aggregates/`` does it.

The table used to recompute every round's summary at download time: 22.6-30.7 s for a 30-expert,
two-round study through the API, past gunicorn's 30 s timeout. It now reads the stored runs' rows.
This makes a synthetic study (``--experts`` x 4 areas x 6 criteria, ``--rounds`` closed rounds, with the
aggregation job run on each) in the configured database, then times the table built and written to
the end as the download does (without the HTTP layer and the audit event), best and median of
``--repeat``, and counts its queries. The study is deleted afterwards.

    DATABASE_URL=postgres://... DEBUG=1 .venv/bin/python -m bench.aggregates_table [--experts 30 --rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from bench.aggregate import delete_study, make_synthetic_study, setup_django

    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aggregation.services import round_aggregate
    from exports.tables import build_table, scope_for
    from exports.writers import csv_chunks, json_chunks

    def download(fmt: str) -> int:
        """What the download request does, less the HTTP layer and the audit event."""
        table = build_table("aggregates", scope_for(study))
        chunks = csv_chunks(table) if fmt == "csv" else json_chunks(table)
        return sum(len(chunk) for chunk in chunks)

    study, rounds = make_synthetic_study(experts=args.experts, areas=4, criteria=6, rounds=args.rounds, seed=7)
    try:
        for round_ in rounds:
            round_aggregate(round_id=round_.pk)
        for fmt in ("csv", "json"):
            seconds = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                size = download(fmt)
                seconds.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                download(fmt)
            rows = build_table("aggregates", scope_for(study)).count()
            print(
                f"{fmt}: {args.experts} experts x {args.rounds} rounds, {rows} rows, {size} bytes: "
                f"best {min(seconds) * 1000:.1f} ms, median {statistics.median(seconds) * 1000:.1f} ms "
                f"over {args.repeat}; {len(queries)} queries"
            )
    finally:
        delete_study(study)


if __name__ == "__main__":
    main()
