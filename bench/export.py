"""Benchmark: export 1,000,000 ratings as CSV and as XLSX; rows per second and peak memory.

Not a test: run it by hand against PostgreSQL and record the figures in docs/benchmarks.md.

    DATABASE_URL=postgres://... python bench/export.py setup            # once: 1,000,000 ratings
    DATABASE_URL=postgres://... python bench/export.py run csv xlsx     # each format in a fresh process
    DATABASE_URL=postgres://... python bench/export.py run csv-python   # the Python CSV writer, for comparison
    DATABASE_URL=postgres://... python bench/export.py teardown

Every format runs in its own child process so that peak memory (ru_maxrss and a sampled
resident-set curve) belongs to that export alone. "Flat memory" is shown by exporting the
first tenth of the rows and all of them: the peaks should be about the same.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")
os.environ.setdefault("DEBUG", "1")

TITLE = "bench: 1,000,000 ratings"
AREAS, CRITERIA, EXPERTS, ROUNDS = 20, 10, 1000, 5  # 20 x 10 x 1000 x 5 = 1,000,000 ratings


def django_setup() -> None:
    import django

    django.setup()


def setup() -> None:
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from elicitation.models import Area, AreaResponse, Criterion, Expert, Rating, Round, RoundItem, Study

    if Study.objects.filter(title=TITLE).exists():
        print("bench study exists; run teardown first to rebuild it")
        return
    started = time.perf_counter()
    with transaction.atomic():
        study = Study.objects.create(title=TITLE)
        areas = Area.objects.bulk_create(
            Area(study=study, code=f"area-{i:02d}", title=f"Area {i}", order=i) for i in range(AREAS)
        )
        criteria = Criterion.objects.bulk_create(
            Criterion(study=study, code=f"C{i}", title=f"Criterion {i}", kind="benefit" if i % 2 else "risk", order=i)
            for i in range(CRITERIA)
        )
        blocs, sectors = study.blocs, study.sectors
        experts = Expert.objects.bulk_create(
            Expert(
                study=study,
                number=n,
                email=f"bench{n}@example.org",
                email_key=f"bench{n}@example.org",
                bloc=blocs[n % len(blocs)],
                sector=sectors[n % len(sectors)],
            )
            for n in range(1, EXPERTS + 1)
        )
        now = timezone.now()
        rounds = [
            Round.objects.create(study=study, number=r, status="closed", opened_at=now, closed_at=now)
            for r in range(1, ROUNDS + 1)
        ]
        for round_ in rounds:
            RoundItem.objects.bulk_create(RoundItem(round=round_, area=a, criterion=c) for a in areas for c in criteria)
        with connection.cursor() as cursor:
            raw = cursor.connection  # psycopg 3: COPY is the fast path for a million rows
            columns = "round_id, expert_id, area_id, criterion_id, value, cannot_judge, created_at, updated_at"
            with raw.cursor().copy(f"COPY {Rating._meta.db_table} ({columns}) FROM STDIN") as copy:
                for round_ in rounds:
                    for expert in experts:
                        for area in areas:
                            for criterion in criteria:
                                seed = (round_.pk * 7 + expert.pk * 13 + area.pk * 3 + criterion.pk) % 19
                                value = None if seed == 0 else 1 + seed % 9
                                copy.write_row(
                                    (round_.pk, expert.pk, area.pk, criterion.pk, value, value is None, now, now)
                                )
            columns = "round_id, expert_id, area_id, confidence, rationale, created_at, updated_at"
            with raw.cursor().copy(f"COPY {AreaResponse._meta.db_table} ({columns}) FROM STDIN") as copy:
                for round_ in rounds:
                    for expert in experts:
                        for area in areas:
                            copy.write_row((round_.pk, expert.pk, area.pk, 1 + expert.pk % 5, "", now, now))
    with connection.cursor() as cursor:  # fresh planner statistics after the bulk load, small tables included
        cursor.execute("ANALYZE")
    count = Rating.objects.filter(round__study=study).count()
    print(f"created {count:,} ratings in {time.perf_counter() - started:.0f} s")


def teardown() -> None:
    django_setup()
    from django.db import transaction

    from elicitation.models import AreaResponse, Rating, Study

    with transaction.atomic():
        for study in Study.objects.filter(title=TITLE):
            AreaResponse.objects.filter(round__study=study).delete()
            Rating.objects.filter(round__study=study).delete()
            study.delete()
    print("removed the bench study")


class RssSampler(threading.Thread):
    """Samples the resident set size every 0.1 s: the curve shows whether memory stays flat."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[int] = []
        self.stopped = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            with open("/proc/self/statm") as statm:
                self.samples.append(int(statm.read().split()[1]) * self.page)


def measure(fmt: str, fraction: float) -> dict[str, Any]:
    """Export the ratings table (or its first ``fraction`` of rounds) in one format; runs in a child process."""
    django_setup()
    from elicitation.models import Round, Study
    from exports import sqlcsv
    from exports.tables import build_table, scope_for
    from exports.writers import csv_chunks, write_xlsx

    study = Study.objects.get(title=TITLE)
    round_ids = list(Round.objects.filter(study=study).order_by("number").values_list("pk", flat=True))
    table = build_table("ratings", scope_for(study, round_ids))
    limit = int(table.count() * fraction)
    full_rows, full_lines = table.rows, table.csv_lines
    if fraction < 1:  # the first rows only: peak memory should not depend on how many rows are exported
        table.rows = lambda: itertools.islice(full_rows(), limit)
        if full_lines is not None:  # PostgreSQL's CSV lines come in chunks of sqlcsv.CHUNK_ROWS
            table.csv_lines = lambda: itertools.islice(full_lines(), limit // sqlcsv.CHUNK_ROWS)
    backend_pid = _backend_pid()
    backend_cpu_before = _process_cpu_seconds(backend_pid)
    cpu_before = time.process_time()
    sampler = RssSampler()
    rss_before = int(Path("/proc/self/statm").read_text().split()[1]) * sampler.page
    sampler.start()
    started = time.perf_counter()
    written_bytes = 0
    if fmt in {"csv", "csv-python"}:
        if fmt == "csv-python":  # the Python writer alone, for comparison
            table.csv_lines = None
        for chunk in csv_chunks(table):
            written_bytes += len(chunk)
        rows = limit
    else:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "ratings.xlsx"
            rows = write_xlsx(path, [table])
            written_bytes = path.stat().st_size
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    backend_cpu = _process_cpu_seconds(backend_pid) - backend_cpu_before
    sampler.stopped.set()
    sampler.join()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    samples = sampler.samples or [rss_before]
    quarter = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.25, 0.5, 0.75)]
    return {
        "format": fmt,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "cpu_seconds_python": round(cpu, 2),
        "cpu_seconds_postgres": round(backend_cpu, 2),
        "rows_per_cpu_second": round(rows / (cpu + backend_cpu)),
        "bytes": written_bytes,
        "rss_before_mib": round(rss_before / 2**20, 1),
        "rss_at_25_50_75_percent_mib": [round(q / 2**20, 1) for q in quarter],
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process on this machine (the PostgreSQL backend serving the export)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(formats: list[str]) -> None:
    results: list[dict[str, Any]] = []
    for fmt in formats:
        for fraction in (0.1, 1.0):
            out = subprocess.run(
                [sys.executable, __file__, "measure", fmt, str(fraction)],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ | {"LOG_LEVEL": "WARNING"},
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            print(json.dumps(result), flush=True)
    print()
    print("| format | rows | wall s | rows/s (wall) | CPU s Python + PostgreSQL | rows/CPU-s | output | RSS before | "
          "RSS at 25/50/75 % | peak RSS |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in results:
        quarters = " / ".join(f"{v:.0f}" for v in r["rss_at_25_50_75_percent_mib"])
        print(
            f"| {r['format']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_second']:,} | "
            f"{r['cpu_seconds_python']} + {r['cpu_seconds_postgres']} | {r['rows_per_cpu_second']:,} | "
            f"{int(r['bytes']) / 2**20:.0f} MiB | {r['rss_before_mib']:.0f} MiB | {quarters} MiB | "
            f"{r['peak_rss_mib']:.0f} MiB |"
        )


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "run"
    if command == "setup":
        setup()
    elif command == "teardown":
        teardown()
    elif command == "measure":
        print(json.dumps(measure(argv[2], float(argv[3]))))
    elif command == "run":
        run(argv[2:] or ["csv", "xlsx"])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
