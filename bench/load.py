"""Load benchmark: N experts save ratings through the real pages while the coordinator closes the round.

The script creates its own PostgreSQL database (``--database``, on the server of DATABASE_URL) and
starts its own redis-server on a free loopback port (or uses ``--redis-url``), migrates, makes a study
from the AI-safety template (35 items) with ``--experts`` experts and an open round, and starts
gunicorn (``--workers`` sync workers, as the Dockerfile runs it) and a Celery worker on them. Then one
asyncio process plays every expert (``bench.load_client``): open the personal link (exchanged for a
session), the welcome page, consent, the form; then each item is rated with a pause of ``--think``
seconds on average (0: closed loop, the next request as soon as the last one is answered) through the
autosave endpoint htmx uses (every fifth expert through the plain no-JavaScript form instead), the
answers are submitted, and the expert keeps revising until the round closes. At ``--close-at`` seconds
the study's coordinator, logged in, closes the round through its page, which queues the aggregation
for the worker. Meanwhile a probe asks for ``/livez`` (a trivial view: no database, cache or broker)
ten times a second, and after the experts have finished ``--experts`` clients ask for it back to back
for a few seconds: the same server's ceiling to compare the save with.

When the checks pass (``--ratio-windows``, default 5), ``bench.load_ratio`` opens the next round and
alternates windows of closed-loop autosaves and closed-loop ``/livez`` on the same server, printing the
ratio saves/livez.

Afterwards ``bench.load_check`` proves that every acknowledged save is stored with its history and in
the aggregates, every refusal is a 409 that says the round closed and wrote nothing, no 5xx, no
duplicates. It prints throughput and latency percentiles, client CPU and machine load. Exit status 1
if a check fails. The database is dropped at the end unless ``--keep``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.load
    ... -m bench.load --think 0          # closed loop: capacity rather than a realistic load
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import load_setup
from bench.load_client import (
    Behaviour,
    Browser,
    Record,
    Recorder,
    closed_loop,
    coordinator_close,
    expert_session,
    probe,
)
from bench.load_ratio import interleaved_ratio, print_ratio

MAX_EXPERTS = 1000
MAX_DURATION = 600.0
TARGET_P95_MS = 100.0
SAVE_KINDS = ("autosave", "form_save", "submit")
RATIO_CLIENTS = 20  # closed-loop clients in each interleaved window, as in the measurement
RATIO_SECONDS = 4.0


@dataclass(frozen=True)
class LoadConfig:
    experts: int = 200
    duration: float = 120.0  # nobody starts a request after this (seconds since the start)
    think: float = 3.0  # mean pause before each change, seconds; 0 = closed loop
    close_at: float = 100.0  # when the coordinator closes the round
    ramp: float = 20.0  # experts arrive spread over this long
    probe_every: float = 0.1
    ceiling_seconds: float = 5.0  # the trivial view back to back after the experts; 0 = skip
    seed: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.experts <= MAX_EXPERTS:
            raise ValueError(f"experts must be 1..{MAX_EXPERTS}")
        if not 0 < self.duration <= MAX_DURATION:
            raise ValueError(f"duration must be in (0, {MAX_DURATION}] seconds")
        if not 0 < self.close_at < self.duration or self.ramp >= self.close_at:
            raise ValueError("need 0 <= ramp < close-at < duration")


@dataclass
class LoadResult:
    records: list[Record]
    close: Record | None
    close_started: float | None
    wall_seconds: float  # the experts' phase
    client_cpu_seconds: float
    server_cpu_seconds: float
    machine_busy_share: float  # of both cores, over the experts' phase
    outcomes: list[Any] = field(default_factory=list)


async def _then_set(work: Coroutine[Any, Any, Record | None], event: asyncio.Event) -> Record | None:
    try:
        return await work
    finally:
        event.set()


async def run_load(*, port: int, study: load_setup.StudyForLoad, config: LoadConfig, server_pid: int) -> LoadResult:
    """Play the experts, the coordinator and the probes against the server on ``port``."""
    recorder = Recorder()
    host = "127.0.0.1"
    behaviour = Behaviour(think=config.think, ramp=config.ramp, stop_at=config.duration, seed=config.seed)
    cpu_before, server_before = resource.getrusage(resource.RUSAGE_SELF), load_setup.tree_cpu_seconds(server_pid)
    busy_before = load_setup.machine_busy()
    done = asyncio.Event()
    panel = study.experts[: config.experts]
    arrived: set[int] = set()
    everyone_arrived = asyncio.Event()

    def arrival(expert_id: int) -> Callable[[], None]:
        def mark() -> None:
            arrived.add(expert_id)
            if len(arrived) >= len(panel):
                everyone_arrived.set()

        return mark

    experts = [
        expert_session(
            Browser(host, port, recorder),
            expert_id=expert_id,
            secret=secret,
            index=i,
            behaviour=behaviour,
            arrived=arrival(expert_id),
        )
        for i, (expert_id, secret) in enumerate(panel)
    ]
    coordinator = coordinator_close(
        Browser(host, port, recorder),
        username=study.username,
        password=study.password,
        close_path=study.close_path,
        close_at=config.close_at,
        everyone_arrived=everyone_arrived,
    )
    prober = Browser(host, port, recorder)
    probing = asyncio.ensure_future(probe(prober, path="/livez", every=config.probe_every, until=done))
    close_task = asyncio.ensure_future(_then_set(coordinator, behaviour.closed))
    outcomes = await asyncio.gather(*experts)
    close = await close_task
    done.set()
    await probing
    wall = recorder.now()
    cpu_after, server_after = resource.getrusage(resource.RUSAGE_SELF), load_setup.tree_cpu_seconds(server_pid)
    busy_after = load_setup.machine_busy()
    if config.ceiling_seconds > 0:
        await closed_loop(host, port, recorder, path="/livez", clients=config.experts, seconds=config.ceiling_seconds)
    close_started = None
    if close is not None:
        close_started = close.started
    return LoadResult(
        records=recorder.records,
        close=close,
        close_started=close_started,
        wall_seconds=wall,
        client_cpu_seconds=(cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
        server_cpu_seconds=server_after - server_before,
        machine_busy_share=(busy_after[0] - busy_before[0]) / max(1.0, busy_after[1] - busy_before[1]),
        outcomes=list(outcomes),
    )


def check_run(study: load_setup.StudyForLoad, result: LoadResult, *, aggregation_timeout: float = 180.0) -> list[str]:
    """Every correctness property of the run; an empty list when all hold."""
    from bench import load_check

    problems = [f"expert {o.expert_id} stopped: {o.error}" for o in result.outcomes if o.error]
    if result.close is None or result.close.status not in (302, 303):
        problems.append(f"the coordinator's close failed: {result.close and result.close.status}")
    problems += load_check.check_statuses(result.records, close_started=result.close_started)
    problems += load_check.check_database(study.round_id, result.records)
    if load_check.wait_for_close_aggregation(study.round_id, timeout=aggregation_timeout) is None:
        problems.append("the close's aggregation did not finish")
    else:
        problems += load_check.check_aggregates(study.round_id)
    return problems


def _percentiles(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        value = latencies[0] * 1000 if latencies else float("nan")
        return {"p50": value, "p95": value, "p99": value}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}


def summary(result: LoadResult) -> dict[str, Any]:
    """Counts, throughput and latency percentiles (ms) per kind of request."""
    out: dict[str, Any] = {}
    groups: dict[str, list[Record]] = {
        "save (autosave + form save)": [r for r in result.records if r.kind in ("autosave", "form_save")],
        "autosave": [r for r in result.records if r.kind == "autosave"],
        "form save (no JS)": [r for r in result.records if r.kind == "form_save"],
        "submit": [r for r in result.records if r.kind == "submit"],
        "form page": [r for r in result.records if r.kind == "form"],
        "link open": [r for r in result.records if r.kind == "link"],
        "livez during load": [r for r in result.records if r.kind == "livez"],
        "livez closed loop": [r for r in result.records if r.kind == "livez_closed_loop"],
    }
    for name, records in groups.items():
        if not records:
            continue
        accepted = [r for r in records if 200 <= r.status < 400]
        span = max(r.ended for r in records) - min(r.started for r in records)
        before_close = [r for r in accepted if result.close_started is None or r.ended <= result.close_started]
        out[name] = {
            "requests": len(records),
            "accepted": len(accepted),
            "refused_4xx": sum(400 <= r.status < 500 for r in records),
            "5xx": sum(r.status >= 500 for r in records),
            "no_answer": sum(r.status == 0 for r in records),
            "per_second": len(records) / span if span > 0 else float("nan"),
            **_percentiles([r.latency for r in accepted]),
            "p95_before_close": _percentiles([r.latency for r in before_close])["p95"],
        }
    return out


def print_summary(result: LoadResult, config: LoadConfig, *, workers: int, load_before: tuple[float, ...]) -> None:
    print(
        f"experts {config.experts}, think {config.think} s, duration {config.duration} s, "
        f"close at {config.close_at} s, gunicorn workers {workers}"
    )
    after = os.getloadavg()
    print(f"load average before: {_triple(load_before)}; after: {_triple(after)}")
    client_share = result.client_cpu_seconds / result.wall_seconds
    served = sum(1 for r in result.records if r.ended <= result.wall_seconds and r.kind != "livez_closed_loop")
    print(
        f"experts' phase {result.wall_seconds:.1f} s; machine busy {result.machine_busy_share:.0%} of 2 cores; "
        f"client CPU {result.client_cpu_seconds:.1f} s ({client_share:.0%} of a core); "
        f"gunicorn CPU {result.server_cpu_seconds:.1f} s ({result.server_cpu_seconds / max(1, served) * 1000:.1f} ms "
        f"per request over {served} requests)"
    )
    if result.close is not None:
        print(f"round closed at {result.close.ended:.1f} s (close request {result.close.latency * 1000:.0f} ms)")
    columns = ("req", "ok", "4xx", "5xx", "req/s", "p50 ms", "p95 ms", "p99 ms", "p95<close")
    print(f"{'':28}" + "".join(f"{name:>10}" for name in columns))
    rows = summary(result)
    for name, row in rows.items():
        numbers = [row["requests"], row["accepted"], row["refused_4xx"], row["5xx"]]
        timings = [row["per_second"], row["p50"], row["p95"], row["p99"], row["p95_before_close"]]
        print(f"{name:28}" + "".join(f"{n:10d}" for n in numbers) + "".join(f"{t:10.1f}" for t in timings))
    saves = rows.get("save (autosave + form save)")
    if saves:
        verdict = "met" if saves["p95"] < TARGET_P95_MS else "missed"
        print(
            f"target p95 < {TARGET_P95_MS:.0f} ms for a save, {config.experts} experts: "
            f"{verdict} ({saves['p95']:.1f} ms)"
        )


def _triple(values: tuple[float, ...]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def _database_url(base: str, name: str) -> str:
    head, _slash, _old = base.rpartition("/")
    return f"{head}/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experts", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--think", type=float, default=3.0, help="mean pause before a save, s; 0 = closed loop")
    parser.add_argument("--close-at", type=float, default=None, help="seconds; default 5/6 of --duration")
    parser.add_argument("--ramp", type=float, default=None, help="experts arrive over this, s; default duration/6")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="coopsurvey_loadbench")
    parser.add_argument("--redis-url", default="", help="default: a private redis-server on a free port")
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--ratio-windows", type=int, default=5, help="pairs of interleaved autosave and /livez windows; 0 = skip"
    )
    args = parser.parse_args(argv)
    config = LoadConfig(
        experts=args.experts,
        duration=args.duration,
        think=args.think,
        close_at=args.close_at if args.close_at is not None else args.duration * 5 / 6,
        ramp=args.ramp if args.ramp is not None else args.duration / 6,
        ceiling_seconds=args.ceiling_seconds,
        seed=args.seed,
    )
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL server (its database is not used; --database is created)")
    database_url = _database_url(base_url, args.database)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="coopsurvey-load-") as tmp:
        workdir = Path(tmp)
        with _redis(args.redis_url, workdir) as redis_url:
            env = load_setup.server_env(database_url=database_url, redis_url=redis_url)
            _create_database(base_url, args.database)
            try:
                return _run(config, args.workers, env, workdir, load_before, ratio_windows=args.ratio_windows)
            finally:
                if not args.keep:
                    _drop_database(base_url, args.database)


def _redis(url: str, workdir: Path) -> Any:
    from contextlib import nullcontext

    return nullcontext(url) if url else load_setup.private_redis(workdir)


def _create_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(base_url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _open_second_round(study: load_setup.StudyForLoad, *, clients: int) -> list[str]:
    """The first round is closed by now: open the next one for the interleaved ratio's saves."""
    import datetime as dt

    from django.utils import timezone

    from elicitation.models import Round
    from elicitation.rounds.services.lifecycle import round_create, round_open

    first = Round.objects.select_related("study").get(pk=study.round_id)
    second = round_create(study=first.study)
    round_open(round=second, user=None, deadline=timezone.now() + dt.timedelta(days=1))
    return [secret for _expert_id, secret in study.experts[:clients]]


def _run(
    config: LoadConfig,
    workers: int,
    env: dict[str, str],
    workdir: Path,
    load_before: tuple[float, ...],
    ratio_windows: int = 0,
) -> int:
    import subprocess

    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=load_setup.ROOT, env=env, check=True, timeout=600
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "SECRET_KEY", "DEBUG"):
        os.environ[name] = env[name]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")
    import django

    django.setup()
    study = load_setup.study_for_load(experts=config.experts)
    print(f"set up in {time.monotonic() - started:.0f} s; logs in {workdir}")
    with (
        load_setup.celery_worker(env, logdir=workdir),
        load_setup.gunicorn(env, workers=workers, logdir=workdir) as (
            port,
            server,
        ),
    ):
        result = asyncio.run(run_load(port=port, study=study, config=config, server_pid=server.pid))
        print_summary(result, config, workers=workers, load_before=load_before)
        problems = check_run(study, result)
        if ratio_windows > 0 and not problems:
            secrets = _open_second_round(study, clients=min(config.experts, RATIO_CLIENTS))
            ratio = asyncio.run(
                interleaved_ratio("127.0.0.1", port, secrets=secrets, windows=ratio_windows, seconds=RATIO_SECONDS)
            )
            print_ratio(ratio)
            print(f"load average after the ratio: {_triple(os.getloadavg())}")
    if problems:
        print(f"FAILED: {len(problems)} problems")
        for problem in problems[:50]:
            print(" -", problem)
        return 1
    print(
        "checks: every acknowledged save stored, with its history and in the aggregates; "
        "every refusal a 409 that wrote nothing; no 5xx; no duplicates"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
