"""/healthz: is the database reachable, the broker up, and a worker answering? /livez: is the app answering?"""

from __future__ import annotations

import contextlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from coopsurvey.celery import app

WORKER_SEEN_KEY = "health:worker-seen"


def database_state() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and we say why
        return {"ok": False, "error": exc.__class__.__name__}


def broker_state() -> dict[str, object]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "in-process"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
        return {"ok": True, "mode": "broker"}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "mode": "broker", "error": exc.__class__.__name__}


def worker_state(broker_ok: bool) -> dict[str, object]:
    """A worker counts as up if one answered a ping within HEALTH_WORKER_MAX_AGE seconds.

    The ping result is remembered in the cache so that frequent health checks
    do not each broadcast to every worker.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "in-process"}
    max_age = settings.HEALTH_WORKER_MAX_AGE
    now = time.time()
    try:
        seen = cache.get(WORKER_SEEN_KEY)
    except Exception:  # noqa: BLE001 - the cache lives in Redis, which may be down
        seen = None
    if seen is None or now - float(seen) > max_age / 2:
        replies = app.control.ping(timeout=1.0) if broker_ok else []
        if replies:
            seen = now
            with contextlib.suppress(Exception):  # remembering is an optimisation; Redis may be down
                cache.set(WORKER_SEEN_KEY, seen, timeout=max_age)
    if seen is not None and now - float(seen) <= max_age:
        return {"ok": True, "last_seen_seconds_ago": round(now - float(seen), 1)}
    return {"ok": False, "error": "no worker answered a ping"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    broker = broker_state()
    worker = worker_state(bool(broker["ok"]))
    parts = {"database": database, "broker": broker, "worker": worker}
    ok = all(part["ok"] for part in parts.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **parts}, status=200 if ok else 503)


@never_cache
@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """The app process answers: no database, cache or broker touched (liveness; the benchmarks' trivial view)."""
    return HttpResponse("ok", content_type="text/plain")
