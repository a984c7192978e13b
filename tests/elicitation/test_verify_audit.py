"""verify_audit on PostgreSQL: an attacker with database access edits, deletes or reorders audit rows
(switching the append-only trigger off for their session, as a superuser can), and the command names the row."""

import functools
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from core.audit import audit
from elicitation.models import AuditEvent
from elicitation.models.audit_chain import chain_findings
from tests.threads import in_thread

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger and advisory locks are PostgreSQL's")


@pytest.fixture
def events(postgres, study_a, coordinator_a) -> list[AuditEvent]:
    return [audit(action=f"step.{i}", study=study_a, user=coordinator_a, target=f"v{i}", number=i) for i in range(1, 6)]


def _as_attacker(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers for this transaction
        cursor.execute(sql, params)


def _verify() -> tuple[str, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), ""


def test_an_untouched_log_verifies(events, study_a):
    out, error = _verify()
    assert error == ""
    assert f"study {study_a.uuid}: 5 events, intact; head #5 {events[-1].hash}" in out


def test_the_append_only_trigger_still_refuses_an_ordinary_update(events):
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE elicitation_auditevent SET action = 'x' WHERE id = %s", [events[0].pk])


def test_an_event_edited_in_raw_sql_is_named(events):
    _as_attacker("UPDATE elicitation_auditevent SET target = 'v99' WHERE id = %s", [events[2].pk])
    out, error = _verify()
    assert "tampered" in error
    assert f"edited: event {events[2].pk} (#3 step.3" in out
    assert out.count("  edited:") == 1


def test_an_event_whose_detail_and_hash_were_both_rewritten_is_named(events):
    from elicitation.models.audit_chain import event_hash

    row = AuditEvent.objects.filter(pk=events[1].pk).values().get()
    row["detail"] = {"number": 42}
    forged = event_hash(row["previous_hash"], row)
    _as_attacker(
        "UPDATE elicitation_auditevent SET detail = '{\"number\": 42}', hash = %s WHERE id = %s", [forged, events[1].pk]
    )
    out, error = _verify()
    assert error
    assert f"edited: event {events[1].pk} (#2 step.2" in out


def test_a_deleted_event_is_named_by_its_neighbours(events):
    _as_attacker("DELETE FROM elicitation_auditevent WHERE id = %s", [events[2].pk])
    out, error = _verify()
    assert error
    assert f"removed: an event was removed before event {events[3].pk} (#4" in out
    assert f"now follows event {events[1].pk} (#2" in out


def test_reordered_events_are_named(events):
    swap = "UPDATE elicitation_auditevent SET sequence = %s WHERE id = %s"
    for sequence, event in [(1000, events[1]), (2, events[2]), (3, events[1])]:  # one position, one event
        _as_attacker(swap, [sequence, event.pk])
    out, error = _verify()
    assert error
    assert f"reordered: event {events[1].pk} (#3" in out
    assert f"reordered: event {events[2].pk} (#2" in out


def test_it_checks_one_study_on_request_and_refuses_an_unknown_one(events, study_a, study_b):
    audit(action="other", study=study_b)
    _as_attacker("UPDATE elicitation_auditevent SET target = 'x' WHERE id = %s", [events[0].pk])
    out = StringIO()
    call_command("verify_audit", "--study", str(study_b.uuid), stdout=out)
    assert f"study {study_b.uuid}: 1 events, intact" in out.getvalue()
    with pytest.raises(CommandError, match="No study"):
        call_command("verify_audit", "--study", "not-a-uuid", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_still_make_one_valid_chain(postgres, study_a, coordinator_a):
    """Eight threads, each with its own connection, append to one study's chain at once."""
    results: dict[str, object] = {}

    def write(n: int) -> int:
        for i in range(10):
            with transaction.atomic():
                audit(action="race", study=study_a, user=coordinator_a, target=f"{n}-{i}")
        return n

    threads = [in_thread(functools.partial(write, n), results, f"writer-{n}") for n in range(8)]
    for thread in threads:
        thread.join(timeout=60)
    assert results == {f"writer-{n}": n for n in range(8)}
    rows = list(AuditEvent.objects.filter(study=study_a).values())
    assert len(rows) == 80
    assert sorted(r["sequence"] for r in rows) == list(range(1, 81))
    assert chain_findings(rows) == []


@pytest.mark.django_db(transaction=True)
def test_saves_chained_by_their_own_statement_and_other_writers_make_one_valid_chain(postgres, study_a, coordinator_a):
    """Experts' saves (whose one statement appends the event and its hash in SQL) race other audited writes:
    every event is in one unbroken chain, and verify_audit recomputes every hash the database made."""
    from django.utils import timezone

    from elicitation.expert.services.answers import AnswerInput, ratings_save
    from elicitation.models import Round
    from tests.factories import make_round

    round_ = make_round(study_a, status=Round.Status.OPEN)
    items = list(round_.items.values_list("area_id", "criterion_id"))[:6]
    experts = list(study_a.experts.filter(is_active=True)[:4])
    type(experts[0]).objects.filter(pk__in=[e.pk for e in experts]).update(consented_at=timezone.now())
    results: dict[str, object] = {}

    def saves(expert) -> int:
        for value, (area_id, criterion_id) in enumerate(items * 2):
            answer = AnswerInput(area_id=area_id, criterion_id=criterion_id, value=1 + value % 9, cannot_judge=False)
            ratings_save(expert=expert, round_id=round_.pk, answers=[answer])
        return expert.pk

    def others() -> int:
        for i in range(12):
            with transaction.atomic():
                audit(action="race", study=study_a, user=coordinator_a, target=f"other-{i}")
        return 0

    threads = [in_thread(functools.partial(saves, e), results, f"expert-{e.pk}") for e in experts]
    threads.append(in_thread(others, results, "others"))
    for thread in threads:
        thread.join(timeout=120)
    assert results == {**{f"expert-{e.pk}": e.pk for e in experts}, "others": 0}
    rows = list(AuditEvent.objects.filter(study=study_a).values())
    saved = [r for r in rows if r["action"] == "answers.saved"]
    assert len(saved) == len(experts) * len(items) * 2
    assert {r["detail"]["source"] for r in saved} == {"web"}
    assert sorted(r["sequence"] for r in rows) == list(range(1, len(rows) + 1))
    assert chain_findings(rows) == []
    out, error = _verify()
    assert error == ""
    assert "intact" in out
