"""The Celery application, configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")

app = Celery("coopsurvey")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="coopsurvey.ping")
def ping() -> str:
    """A trivial task: used by tests and operators to see a worker execute work."""
    return "pong"
