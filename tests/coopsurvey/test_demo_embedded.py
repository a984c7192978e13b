"""The README's first command on its embedded defaults: SQLite, tasks in-process, no services.

Every other test runs on PostgreSQL in CI, so this is the one place that proves the demo still migrates and loads
on SQLite (a migration that rebuilt elicitation_criterion once broke SQLite's rating triggers and stopped
`make demo` before it served a page).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "EMAIL_URL"}

CHECK_PAGES = """
from django.test import Client
from elicitation.demo import DEMO_PASSWORD, DEMO_USERNAME
from elicitation.models import Study
study = Study.objects.get()
client = Client()
assert client.login(username=DEMO_USERNAME, password=DEMO_PASSWORD)
for path in (f"/studies/{study.uuid}/", f"/studies/{study.uuid}/dashboard/"):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
print("pages ok")
"""


def run_embedded(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICES}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", ALLOWED_HOSTS="testserver")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_the_demo_migrates_loads_and_serves_on_sqlite(tmp_path: Path) -> None:
    migrated = run_embedded(tmp_path, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    loaded = run_embedded(tmp_path, "load_demo")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "Created the demo study" in loaded.stdout
    pages = run_embedded(tmp_path, "shell", "-c", CHECK_PAGES)
    assert pages.returncode == 0, pages.stderr[-3000:]
    assert "pages ok" in pages.stdout
