"""CPU per autosave inside the app: the whole Django request (middleware, session, link check, CSRF, the view,
the template) called as gunicorn calls it, in one process, with production settings (DEBUG off).

The load benchmark (``bench.load``) measures throughput against ``/livez`` on a server the client shares the
machine with; this measures the app's own share of it, with less noise: ``--saves`` autosaves (a random item,
a random value) and as many ``/livez`` calls through the same WSGI application, the CPU time of each loop
(``time.process_time``, so waiting for PostgreSQL is not counted) and optionally a cProfile of the saves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.autosave_cpu [--saves 2000] [--profile 40] [--database coopsurvey_cpubench]

The database ``--database`` is created (dropped first), migrated, given a study of ``--experts`` experts with
its first round open, and dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from bench import load_setup
from bench.load import _create_database, _database_url, _drop_database
from bench.load_client import _RADIO, _SAVE_URL

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiBrowser:
    """Cookies and CSRF as a browser keeps them, against the WSGI application itself (no socket)."""

    def __init__(self, application: WsgiApp) -> None:
        self.application = application
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, htmx: bool = False
    ) -> tuple[int, bytes]:
        body = urlencode(form or {}).encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_USER_AGENT": "coopsurvey-cpubench",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            environ |= {
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_ORIGIN": "http://127.0.0.1",
                "HTTP_REFERER": f"http://127.0.0.1{path}",
                "HTTP_X_CSRFTOKEN": self.cookies.get("csrftoken", ""),
            }
        if htmx:
            environ |= {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT": "*/*"}
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers

        chunks = self.application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                cookie = SimpleCookie(value)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        return answer["status"], content


def _cpu_loop(work: Callable[[], None], count: int) -> tuple[float, float]:
    """CPU seconds per call of ``work`` over ``count`` calls: this process's, and its PostgreSQL backend's
    (read from /proc: the server runs on this machine; clock ticks, so only a long loop is precise)."""
    from django.db import connection

    work()  # the connection is open: its server process is the one measured
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    start, backend_start = time.process_time(), load_setup.process_cpu_seconds(backend_pid)
    for _ in range(count):
        work()
    backend = load_setup.process_cpu_seconds(backend_pid) - backend_start
    return (time.process_time() - start) / count, backend / count


def run(*, saves: int, profile: int, experts: int, repeat: int, profile_file: str = "") -> None:
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    study = load_setup.study_for_load(experts=experts)
    application = get_wsgi_application()
    browser = WsgiBrowser(application)
    _expert_id, secret = study.experts[0]
    status, _body = browser.request("GET", f"/e/{secret}/")
    assert status == 302, status
    browser.request("GET", "/e/")
    consent = {"consent": "yes", "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    status, _body = browser.request("POST", "/e/consent/", consent)
    assert status == 302, status
    status, page = browser.request("GET", "/e/round/")
    assert status == 200, status
    html = page.decode()
    options: dict[str, list[str]] = {}
    for name, value in _RADIO.findall(html):
        options.setdefault(name, []).append(value)
    found = _SAVE_URL.search(html)
    if found is None or not options:
        raise RuntimeError("the round form has no autosave URL or no rating fields")
    save_url, names, rng = found.group(1), list(options), random.Random(1)

    def save() -> None:
        name = rng.choice(names)
        status, body = browser.request("POST", save_url, {name: rng.choice(options[name])}, htmx=True)
        if status != 200:
            raise RuntimeError(f"autosave answered {status}: {body[:300]!r}")

    def livez() -> None:
        status, _body = browser.request("GET", "/livez")
        assert status == 200

    for _ in range(50):  # warm: templates compiled, connections open, translations loaded
        save()
        livez()
    per_save, per_livez, backend_save, backend_livez = [], [], [], []
    for _ in range(repeat):  # interleaved, so both see the same machine
        app, backend = _cpu_loop(save, saves)
        per_save.append(app)
        backend_save.append(backend)
        app, backend = _cpu_loop(livez, saves)
        per_livez.append(app)
        backend_livez.append(backend)

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.2f} ms ({', '.join(f'{v * 1000:.2f}' for v in values)})"

    print(f"over {repeat} x {saves} of each, interleaved; load average {os.getloadavg()[0]:.1f}")
    print(f"CPU per autosave, app:        {ms(per_save)}")
    print(f"CPU per autosave, PostgreSQL: {ms(backend_save)}")
    print(f"CPU per /livez, app:          {ms(per_livez)}")
    print(f"CPU per /livez, PostgreSQL:   {ms(backend_livez)}")
    save_total = statistics.median(per_save) + statistics.median(backend_save)
    livez_total = statistics.median(per_livez) + statistics.median(backend_livez)
    print(f"autosave / livez CPU, app and PostgreSQL: {save_total / livez_total:.1f}x")
    if profile:
        profiler = cProfile.Profile(time.process_time)  # CPU only: waiting for PostgreSQL is not the app's cost
        profiler.enable()
        for _ in range(profile):
            save()
        profiler.disable()
        if profile_file:
            profiler.dump_stats(profile_file)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        print(re.sub(r"/\S*/(site-packages|lib/python3\.\d+)/", "", out.getvalue()))
    connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="autosaves to profile with cProfile after timing")
    parser.add_argument("--profile-file", default="", help="also write the profile here (pstats format)")
    parser.add_argument("--experts", type=int, default=5)
    parser.add_argument("--database", default="coopsurvey_cpubench")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--no-setup", action="store_true", help="the database is kept from a run before: skip migrate")
    args = parser.parse_args(argv)
    base_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        parser.error("set DATABASE_URL (a PostgreSQL server; --database is created) and REDIS_URL")
    env = load_setup.server_env(database_url=_database_url(base_url, args.database), redis_url=redis_url)
    env["DB_CONN_MAX_AGE"] = "3600"  # one server process throughout, so that its CPU can be read
    if not args.no_setup:
        _create_database(base_url, args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=load_setup.ROOT, env=env, check=True)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")
    import django

    django.setup()
    try:
        run(
            saves=args.saves,
            profile=args.profile,
            experts=args.experts,
            repeat=args.repeat,
            profile_file=args.profile_file,
        )
    finally:
        if not args.keep:
            _drop_database(base_url, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
