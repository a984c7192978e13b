"""What the load run needs before it starts: a study with an open round, and the app's processes.

The study is made through the same services a coordinator's pages use (the AI-safety cooperation
template: 5 areas x 7 criteria = 35 items on 1-9 scales, "cannot judge" offered), so the run meets the
same constraints, triggers and audit events as production. The processes are production's: gunicorn
with the redacting access log, and a Celery worker, both on the given database and Redis.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "ai_safety_cooperation"
# Every expert opens their link from 127.0.0.1 here; the per-address limit on link openings (30 per
# 5 minutes by default, successes counted) is raised for the benchmark's server only.
BENCH_LINK_RATE_LIMIT = "1000000"


@dataclass(frozen=True)
class StudyForLoad:
    study_uuid: str
    round_uuid: str
    round_id: int
    experts: list[tuple[int, str]]  # (expert id, the secret of their personal link)
    username: str
    password: str

    @property
    def close_path(self) -> str:
        return f"/studies/{self.study_uuid}/rounds/{self.round_uuid}/close/"


def study_for_load(*, experts: int) -> StudyForLoad:
    """A study from the template with ``experts`` experts, its first round open, a link for each."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from elicitation.rounds.services.lifecycle import round_create, round_open
    from elicitation.setup.services.panel import expert_add
    from elicitation.setup.services.studies import study_create
    from elicitation.setup.services.tokens import token_issue

    username, password = f"load-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user(username=username, password=password)
    study = study_create(user=user, title="Load benchmark", template_key=TEMPLATE)
    links = []
    for number in range(1, experts + 1):
        bloc = study.blocs[number % len(study.blocs)]
        expert = expert_add(
            study=study, user=user, email=f"expert{number}@load.example.org", name=f"Expert {number}", bloc=bloc
        )
        links.append((expert.pk, token_issue(expert=expert)))
    round_ = round_create(study=study, user=user)
    round_open(round=round_, user=user, deadline=timezone.now() + dt.timedelta(days=1))
    return StudyForLoad(
        study_uuid=str(study.uuid),
        round_uuid=str(round_.uuid),
        round_id=round_.pk,
        experts=links,
        username=username,
        password=password,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(*, database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) on the given services; only the link-opening limit is raised."""
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "CELERY_BROKER_URL"}}
    env |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "locmem://",
        "STATIC_FROM_SOURCE": "1",
        "LINK_RATE_LIMIT": BENCH_LINK_RATE_LIMIT,
        "LINK_OPENINGS_PER_ADDRESS": BENCH_LINK_RATE_LIMIT,
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, logdir: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn as the Dockerfile runs it (sync workers, redacting access log) on a free port."""
    port = free_port()
    log = logdir / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "coopsurvey.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "120", "--backlog", "2048",
        "--access-logfile", str(logdir / "access.log"), "--logger-class", "coopsurvey.gunicorn_logging.Logger",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2)
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log}") from error
                time.sleep(0.2)
        yield port, process
    finally:
        _stop(process)


@contextmanager
def celery_worker(env: dict[str, str], *, logdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """One Celery worker process (prefork, one child), waiting until it answers a ping."""
    from coopsurvey.celery import app

    hostname = f"load-{uuid.uuid4().hex[:8]}@localhost"
    command = [
        sys.executable, "-m", "celery", "-A", "coopsurvey", "worker", "--pool=prefork", "--concurrency=1",
        "--loglevel=INFO", "--without-gossip", "--without-mingle", f"--hostname={hostname}",
    ]  # fmt: skip
    with (logdir / "worker.log").open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the celery worker did not start; see {logdir / 'worker.log'}")
        yield process
    finally:
        _stop(process)


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """A redis-server of the run's own on a free loopback port, keeping nothing on disk; yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed; pass --redis-url")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError("the private redis-server did not start") from error
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children that exited, from /proc; 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and every live descendant (gunicorn's master and its workers)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += process_cpu_seconds(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo += [int(child) for child in children]
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))
