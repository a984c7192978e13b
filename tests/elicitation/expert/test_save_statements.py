"""An autosave in at most 6 SQL statements, its hash-chained audit event included.

How statements are counted: every statement the request sends to the database, as Django's
``CaptureQueriesContext`` records them, with the test's own transaction stripped. pytest-django runs each
test inside a transaction, so the view's ``transaction.atomic`` becomes ``SAVEPOINT``/``RELEASE SAVEPOINT``
instead of ``BEGIN``/``COMMIT``: those two are counted as the BEGIN and COMMIT a server would send.
So the 6 are: the session, the link check, BEGIN, the round lock joined with the expert check (which then
takes the study's audit-chain lock), the one data-modifying statement (which also appends the audit event
after the chain's head, its hash computed in SQL), COMMIT. Aggregation's coalescing key is in Redis; the
first save of an aggregation interval also records the queued run (2 more statements, after the commit).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aggregation.jobs import coalescing_key
from elicitation.models import AnswerRevision, AuditEvent, InvitationToken, Participation, Rating, Round
from elicitation.models.audit_chain import chain_findings
from tests.elicitation.expert.test_round_views import HTMX, field
from tests.factories import make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def consented(client, expert_a, link_a):
    client.get(link_a)
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    return client


MAX_STATEMENTS = 6


@pytest.fixture(params=["single statement", "portable"])
def write_path(request, monkeypatch):
    """Both write paths on the same database: the portable one is what SQLite runs."""
    if request.param == "portable" or connection.vendor != "postgresql":
        monkeypatch.setattr("elicitation.expert.services.answers.uses_single_statement", lambda: False)
    return request.param


def _statements(client, url, data):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data, **HTMX)
    return response, [query["sql"] for query in captured.captured_queries]


def _hold_coalescing(round_: Round) -> None:
    """As in a running study: a job is already scheduled for this interval."""
    cache.set(coalescing_key(round_.pk), 1, timeout=600)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single-statement path is PostgreSQL's")
def test_an_autosave_takes_at_most_six_statements(consented, expert_a, open_round):
    items = list(open_round.items.order_by("pk"))
    url = f"/e/round/{open_round.uuid}/save/"
    _hold_coalescing(open_round)
    # The first save of a round (creates the participation), a new answer, a changed one, cannot judge.
    for item, value in [(items[0], "7"), (items[1], "6"), (items[1], "3"), (items[2], "cj")]:
        response, statements = _statements(consented, url, {field(item): value})
        assert response.status_code == 200, response.content
        assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
        assert sum("FOR SHARE" in sql for sql in statements) == 1
        assert not any("FOR UPDATE" in sql and "FOR NO KEY UPDATE" not in sql for sql in statements)
    assert "Saved. 3 of 24 answered." in response.content.decode()
    chain = list(
        AnswerRevision.objects.filter(expert=expert_a, area_id=items[1].area_id, criterion_id=items[1].criterion_id)
        .order_by("pk")
        .values_list("old_value", "new_value")
    )
    assert chain == [(None, "6"), ("6", "3")]
    assert Rating.objects.get(
        expert=expert_a, area_id=items[2].area_id, criterion_id=items[2].criterion_id
    ).cannot_judge
    events = AuditEvent.objects.filter(action="answers.saved", actor_expert=expert_a).order_by("pk")
    assert [event.detail for event in events] == [{"ratings": 1, "source": "web"}] * 4
    assert chain_findings(list(AuditEvent.chain(expert_a.study_id).values())) == []
    assert Participation.objects.get(round=open_round, expert=expert_a).started_at is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single-statement path is PostgreSQL's")
def test_a_full_form_of_ratings_is_one_bulk_upsert(consented, expert_a, open_round):
    url = f"/e/round/{open_round.uuid}/save/"
    _hold_coalescing(open_round)
    data = {field(item): "5" for item in open_round.items.all()}
    response, statements = _statements(consented, url, data)
    assert response.status_code == 200
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert Rating.objects.filter(expert=expert_a).count() == 24
    assert AnswerRevision.objects.filter(expert=expert_a).count() == 24
    assert "Saved. 24 of 24 answered." in response.content.decode()


def test_an_unchanged_save_writes_nothing(consented, write_path, expert_a, open_round):
    item = open_round.items.all()[0]
    url = f"/e/round/{open_round.uuid}/save/"
    assert consented.post(url, {field(item): "4"}, **HTMX).status_code == 200
    response = consented.post(url, {field(item): "4"}, **HTMX)
    assert response.status_code == 200
    assert "Saved. 1 of 24 answered." in response.content.decode()
    assert AnswerRevision.objects.filter(expert=expert_a).count() == 1
    assert AuditEvent.objects.filter(action="answers.saved").count() == 1


def test_a_bad_value_in_a_batch_writes_nothing_and_names_the_field(consented, write_path, expert_a, open_round):
    good, bad = open_round.items.order_by("pk")[:2]
    url = f"/e/round/{open_round.uuid}/save/"
    response = consented.post(url, {field(good): "5", field(bad): "12"}, **HTMX)
    assert response.status_code == 400
    assert "The rating must be between 1 and 9." in response.content.decode()
    assert not Rating.objects.exists()
    assert not AnswerRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="answers.saved").exists()
    assert not Participation.objects.filter(started_at__isnull=False).exists()


def test_a_revoked_link_is_refused_on_the_very_next_save(consented, write_path, expert_a, open_round):
    item = open_round.items.all()[0]
    url = f"/e/round/{open_round.uuid}/save/"
    assert consented.post(url, {field(item): "4"}, **HTMX).status_code == 200
    InvitationToken.objects.filter(expert=expert_a).update(revoked_at=timezone.now())
    assert consented.post(url, {field(item): "5"}, **HTMX).status_code == 403
    assert Rating.objects.get().value == 4


def test_an_erased_expert_is_refused_on_the_very_next_save(consented, write_path, expert_a, open_round):
    item = open_round.items.all()[0]
    url = f"/e/round/{open_round.uuid}/save/"
    assert consented.post(url, {field(item): "4"}, **HTMX).status_code == 200
    type(expert_a).objects.filter(pk=expert_a.pk).update(erased_at=timezone.now())
    assert consented.post(url, {field(item): "5"}, **HTMX).status_code == 403
    assert Rating.objects.get().value == 4


def test_a_deactivated_expert_is_refused_on_the_very_next_save(consented, write_path, expert_a, open_round):
    item = open_round.items.all()[0]
    url = f"/e/round/{open_round.uuid}/save/"
    type(expert_a).objects.filter(pk=expert_a.pk).update(is_active=False)
    response = consented.post(url, {field(item): "5"}, **HTMX)
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_a_round_of_another_study_is_not_found(consented, write_path, study_b):
    other = make_round(study_b, status=Round.Status.OPEN)
    item = other.items.all()[0]
    response = consented.post(f"/e/round/{other.uuid}/save/", {field(item): "5"}, **HTMX)
    assert response.status_code == 404
    assert not Rating.objects.exists()


def _play(client, round_, steps):
    """Post each step; return the statuses and status lines, the revisions, ratings and audit details stored."""
    items = list(round_.items.order_by("pk"))
    index = {(item.area_id, item.criterion_id): n for n, item in enumerate(items)}
    url = f"/e/round/{round_.uuid}/save/"
    audit_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    answers = []
    for step in steps:
        response = client.post(url, {field(items[n]): value for n, value in step}, **HTMX)
        answers.append((response.status_code, response.content.decode().split("<", 2)[1]))
    stored = AnswerRevision.objects.filter(round=round_).order_by("pk")
    revisions = [
        (index[(a, c)], *rest)
        for a, c, *rest in stored.values_list("area_id", "criterion_id", "field", "old_value", "new_value", "source")
    ]
    rows = Rating.objects.filter(round=round_).values_list("area_id", "criterion_id", "value", "cannot_judge")
    ratings = sorted((index[(a, c)], *rest) for a, c, *rest in rows)
    audits = list(
        AuditEvent.objects.filter(action="answers.saved", pk__gt=audit_before).order_by("pk").values_list("detail")
    )
    return answers, revisions, ratings, audits


STEPS = [
    [(0, "7")],
    [(0, "7")],  # unchanged
    [(0, "3"), (1, "cj"), (2, "9")],
    [(1, "12")],  # out of range: 400, nothing written
    [(3, "5"), (4, "0")],  # one bad answer in a batch: nothing written
    [(1, "4")],
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares the PostgreSQL path with the portable one")
def test_both_write_paths_answer_and_store_the_same(client, expert_a, link_a, study_a, monkeypatch):
    client.get(link_a)
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    outcomes = []
    for portable in (False, True):
        Round.objects.filter(study=study_a).update(status=Round.Status.CLOSED)
        round_ = make_round(study_a, status=Round.Status.OPEN)
        with monkeypatch.context() as patch:
            if portable:
                patch.setattr("elicitation.expert.services.answers.uses_single_statement", lambda: False)
            outcomes.append(_play(client, round_, STEPS))
    single, portable_outcome = outcomes
    assert [status for status, _line in single[0]] == [200, 200, 200, 400, 400, 200]
    assert single[0][5][1].endswith("3 of 24 answered.")
    assert single == portable_outcome


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_an_autosave_runs_prepared_statements_on_their_generic_plan(consented, open_round):
    """The session, the link check, the lock and the save are planned once per connection (``core.prepared``):
    PostgreSQL had re-planned the save on every tap, 1.7 ms of its 2.5 ms."""
    items = list(open_round.items.order_by("pk"))
    url = f"/e/round/{open_round.uuid}/save/"
    _hold_coalescing(open_round)
    for item, value in [(items[0], "7"), (items[1], "6"), (items[0], "3"), (items[2], "cj")]:
        assert consented.post(url, {field(item): value}, **HTMX).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    save = [row for row in prepared if "ON CONFLICT" in row[0]]  # the one data-modifying statement
    assert save, prepared
    assert all(custom == 0 for _statement, _generic, custom in prepared), prepared
    assert sum(generic for _statement, generic, _custom in save) >= 4
    assert any("pg_advisory_xact_lock_shared" in statement for statement, _g, _c in prepared)
