"""The data migration chains the audit events written before the chain existed, on PostgreSQL with its trigger."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from elicitation.models import AuditEvent
from elicitation.models.audit_chain import GENESIS, chain_findings

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BEFORE = [("elicitation", "0008_study_feedback_by_bloc")]
AFTER = [("elicitation", "0010_audit_event_chain_constraints")]


@pytest.fixture
def latest_schema_after():
    """Migrating back and forth leaves the database at AFTER: bring it to every app's latest migration again,
    or the tests that follow run on a schema without the migrations added since."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_events_are_chained_per_study_in_the_order_they_were_written(study_a, study_b, latest_schema_after):
    if connection.vendor != "postgresql":
        pytest.skip("checks the migration against PostgreSQL's append-only trigger")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    # Raw SQL: in the state before the chain created_at was auto_now_add, and these rows need times out of id order.
    with connection.cursor() as cursor:
        for minutes, study, action in [(3, study_a, "late"), (1, study_a, "early"), (2, study_b, "b"), (4, None, "x")]:
            cursor.execute(
                "INSERT INTO elicitation_auditevent (study_id, action, target, detail, created_at) "
                "VALUES (%s, %s, '', %s, %s)",
                [study.pk if study else None, action, f'{{"m": {minutes}.0}}', start + dt.timedelta(minutes=minutes)],
            )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    rows = list(AuditEvent.objects.filter(study=study_a).values())
    assert [(r["sequence"], r["action"]) for r in sorted(rows, key=lambda r: r["sequence"])] == [
        (1, "early"),
        (2, "late"),
    ]
    assert chain_findings(rows) == []
    for chain in (AuditEvent.objects.filter(study=study_b), AuditEvent.objects.filter(study__isnull=True)):
        (row,) = chain.values()
        assert (row["sequence"], row["previous_hash"]) == (1, GENESIS)
        assert chain_findings([row]) == []
    # The trigger is back on: the migrated rows are as append-only as before.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE elicitation_auditevent SET action = 'x'")
    # New events continue each chain.
    assert AuditEvent.objects.create(action="next", study=study_a).sequence == 3
