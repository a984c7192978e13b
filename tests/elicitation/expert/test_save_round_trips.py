"""An autosave outside any test transaction, as a server runs it: its transaction travels in one round trip
(``core.pipelined``), BEGIN, the round lock, the save and COMMIT together, and commits before it answers."""

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
        # The session with the link (core.db_sessions' read-along), then BEGIN, the lock, the save, COMMIT.
        assert len(sent) == 5, "\n".join(sent)
        assert "django_session" in sent[0]
        assert "elicitation_invitationtoken" in sent[0]
        assert sent[1] == "BEGIN"
        assert "pg_advisory_xact_lock_shared" in sent[2]
        assert "ON CONFLICT" in sent[3]
        assert sent[4] == "COMMIT"
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


def _one_answer(round_, value):
    from elicitation.expert.services.answers import AnswerInput

    item = round_.items.order_by("pk").first()
    return [AnswerInput(area_id=item.area_id, criterion_id=item.criterion_id, value=value)]


@pytest.mark.parametrize("named_by", ["id", "uuid", "open"])
def test_the_save_finds_the_round_itself_however_it_is_named(expert_a, open_round, named_by):
    from elicitation.expert.services.answers import ratings_save

    where = {"id": {"round_id": open_round.pk}, "uuid": {"round_uuid": open_round.uuid}, "open": {"open_round": True}}
    saved = ratings_save(expert=expert_a, answers=_one_answer(open_round, 6), **where[named_by])
    assert saved.round.pk == open_round.pk
    assert [rating.value for rating in saved.changed] == [6]
    assert Rating.objects.get(expert=expert_a, round=open_round).value == 6
    event = AuditEvent.objects.get(actor_expert=expert_a, action="answers.saved")
    assert event.target == f"round {open_round.number}"  # the statement writes the number it read
    assert event.detail == {"ratings": 1, "source": "web"}
    assert chain_findings(list(AuditEvent.chain(expert_a.study_id).values())) == []


def test_an_expert_deactivated_since_the_request_began_is_refused_and_nothing_is_written(expert_a, open_round):
    from core.errors import InvalidInput
    from elicitation.expert.services.answers import ratings_save
    from elicitation.models import Expert

    Expert.objects.filter(pk=expert_a.pk).update(is_active=False)  # expert_a, in memory, still says active
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput, match="no longer active"):
        ratings_save(expert=expert_a, round_id=open_round.pk, answers=_one_answer(open_round, 6))
    assert not Rating.objects.filter(expert=expert_a).exists()
    assert not AnswerRevision.objects.filter(expert=expert_a).exists()
    assert AuditEvent.objects.count() == before
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_round_of_another_study_is_unknown_and_nothing_is_written(expert_a, expert_b, open_round, study_b):
    from elicitation.expert.services.answers import ratings_save
    from elicitation.models import Round
    from tests.factories import make_round

    other = make_round(study_b, status=Round.Status.OPEN)
    for where in ({"round_id": other.pk}, {"round_uuid": other.uuid}):
        with pytest.raises(Round.DoesNotExist):
            ratings_save(expert=expert_a, answers=_one_answer(other, 6), **where)
    assert not Rating.objects.exists()
    assert not AuditEvent.objects.filter(action="answers.saved").exists()


def test_a_chinese_expert_reads_the_status_line_in_chinese(client, expert_a, open_round):
    """The status line is rendered without the request's context processors: the language is the expert's all
    the same, in the status, the progress and the Content-Language header."""
    from elicitation.models import Expert
    from elicitation.setup.services.tokens import token_issue

    Expert.objects.filter(pk=expert_a.pk).update(language="zh-hans")
    client.get(f"/e/{token_issue(expert=expert_a)}/")
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    item = open_round.items.order_by("pk").first()
    _hold_coalescing(open_round)
    response = client.post(f"/e/round/{open_round.uuid}/save/", {field(item): "7"}, **HTMX)
    assert response.status_code == 200, response.content
    assert response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert "已保存。已回答 1 / 24。" in body
    assert "已回答 1 / 24" in body.split('id="progress"', 1)[1]
    assert "Saved." not in body
    assert 'id="progress" class="progress" hx-swap-oob="true"' in body
