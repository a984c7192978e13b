"""An autosave outside any test transaction, as a server runs it: its transaction travels in two round trips
(``core.pipelined``), BEGIN with the round lock and COMMIT with the save, and commits before it answers."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elicitation.models import AnswerRevision, AuditEvent, Rating
from elicitation.models.audit_chain import chain_findings
from tests.elicitation.expert.test_round_views import HTMX, field
from tests.elicitation.expert.test_save_statements import _hold_coalescing
from tests.threads import read_committed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipelined save is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def consented(client, expert_a, link_a):
    client.get(link_a)
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    return client


def _committed_value(expert_id: int, area_id: int, criterion_id: int) -> list[object]:
    """What another connection reads: the rating as committed."""
    sql = "SELECT value FROM elicitation_rating WHERE expert_id = %s AND area_id = %s AND criterion_id = %s"
    return [row[0] for row in read_committed(sql, [expert_id, area_id, criterion_id])]


def test_an_autosave_sends_begin_with_the_lock_and_commit_with_the_save(consented, expert_a, open_round, monkeypatch):
    separate: list[bytes] = []
    original = psycopg.Connection._exec_command

    def spy(self, command, *args, **kwargs):
        separate.append(bytes(command))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", spy)
    items = list(open_round.items.order_by("pk"))
    url = f"/e/round/{open_round.uuid}/save/"
    _hold_coalescing(open_round)
    for item, value in [(items[0], "7"), (items[1], "6"), (items[1], "3"), (items[2], "cj")]:
        with CaptureQueriesContext(connection) as captured:
            response = consented.post(url, {field(item): value}, **HTMX)
        assert response.status_code == 200, response.content
        sent = [query["sql"] for query in captured.captured_queries]
        assert len(sent) == 6, "\n".join(sent)
        assert sent[2] == "BEGIN"
        assert "pg_advisory_xact_lock_shared" in sent[3]
        assert "ON CONFLICT" in sent[4]
        assert sent[5] == "COMMIT"
        # Committed before the answer: another connection reads it at once.
        expected = None if value == "cj" else int(value)
        assert _committed_value(expert_a.pk, item.area_id, item.criterion_id) == [expected]
    assert separate == [], "no BEGIN or COMMIT waited for on its own"
    assert "Saved. 3 of 24 answered." in response.content.decode()
    revisions = AnswerRevision.objects.filter(
        expert=expert_a, area_id=items[1].area_id, criterion_id=items[1].criterion_id
    ).order_by("pk")
    assert list(revisions.values_list("old_value", "new_value")) == [(None, "6"), ("6", "3")]
    assert chain_findings(list(AuditEvent.chain(expert_a.study_id).values())) == []


def test_a_refused_autosave_writes_nothing_and_leaves_the_connection_idle(consented, expert_a, open_round):
    item = open_round.items.order_by("pk").first()
    url = f"/e/round/{open_round.uuid}/save/"
    before = AuditEvent.objects.count()
    response = consented.post(url, {field(item): "99"}, **HTMX)  # off the scale: refused after the commit
    assert response.status_code == 400
    assert not Rating.objects.filter(expert=expert_a).exists()
    assert not AnswerRevision.objects.filter(expert=expert_a).exists()
    assert AuditEvent.objects.count() == before
    open_round.status = open_round.Status.CLOSED
    open_round.save(update_fields=["status"])
    response = consented.post(url, {field(item): "5"}, **HTMX)  # refused between the statements: rolled back
    assert response.status_code == 409
    assert not Rating.objects.filter(expert=expert_a).exists()
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
