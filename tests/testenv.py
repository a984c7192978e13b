"""Loaded early by pytest (``-p tests.testenv``), before Django reads its settings.

Tests run with DEBUG off, as production does, so they need a secret key; the
outbox is kept in memory. DATABASE_URL and REDIS_URL are left as the caller set
them: unset means SQLite and in-process tasks, set means the real services.

Under pytest-xdist each worker gets its own databases: pytest-django suffixes the
test database's name with the worker id, and here each worker after the first
moves to its own Redis database number, so one worker's cache clearing, queue
flushing or Celery worker never touches another's.
"""

import os
import re

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")
# Sessions in the database, as without Redis: the pages' query-count tests count the session's read once
# whatever the services; tests/elicitation/expert/test_cached_sessions.py tests core.sessions on a real Redis.
os.environ.setdefault("SESSION_CACHE_SECONDS", "0")

REDIS_DATABASES = 16  # Redis's default number of databases


def redis_url_for_worker(url: str, worker: str) -> str:
    """The Redis URL of xdist worker ``gwN``: the same server, database (base + 8 N) mod 16.

    Worker gw0 keeps the caller's database; the stride of 8 keeps two workers apart from
    each other and from the databases next to the caller's.
    """
    match = re.fullmatch(r"gw(\d+)", worker)
    if not match or not url.startswith(("redis://", "rediss://")):
        return url
    index = int(match.group(1))
    head, _, tail = url.partition("?")
    base_match = re.search(r"/(\d+)$", head)
    base = int(base_match.group(1)) if base_match else 0
    server = head[: base_match.start()] if base_match else head.rstrip("/")
    database = (base + 8 * index) % REDIS_DATABASES
    return f"{server}/{database}" + (f"?{tail}" if tail else "")


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
for _name in ("REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"):
    if os.environ.get(_name) and _worker:
        os.environ.setdefault(f"COOPSURVEY_CALLER_{_name}", os.environ[_name])
        os.environ[_name] = redis_url_for_worker(os.environ[_name], _worker)
