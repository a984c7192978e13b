"""Invitations through the real stack: queued after commit into Redis, sent by a separate worker process."""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from elicitation.models import Participation, Round
from elicitation.rounds.services.invitations import invitations_send
from tests.factories import make_round


@pytest.fixture
def console_mail_worker(monkeypatch, request):
    """A real worker whose emails are printed to its log (its own in-memory outbox is out of reach).

    DEBUG is off (tests/testenv.py), as in production: printing emails must be asked for.
    """
    monkeypatch.setenv("EMAIL_URL", "console://")
    monkeypatch.setenv("EMAIL_CONSOLE_ALLOWED", "1")
    return request.getfixturevalue("celery_worker_process")


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_invitations_after_commit(study_a, coordinator_a, console_mail_worker):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=3))
    Participation.objects.filter(round=round_).update(invited_at=None)
    assert invitations_send(round=round_, user=coordinator_a) == 8

    deadline = time.monotonic() + 60
    pending = Participation.objects.filter(round=round_, invited_at__isnull=True)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not pending.exists(), console_mail_worker.log_path.read_text()[-3000:]
    log = console_mail_worker.log_path.read_text()
    for email in study_a.experts.values_list("email", flat=True):
        assert f"To: {email}" in log
    assert log.count("Subject: Invitation: Study A, round 1") == 8
    # The personal links are in the emails, but their secrets are not in the worker's output.
    assert log.count("/e/[link]/") >= 8
    assert not re.findall(r"/e/(?!\[link\]|round|consent|thanks|language|new-link)[A-Za-z0-9_-]{20,}", log)
