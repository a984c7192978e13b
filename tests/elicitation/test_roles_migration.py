"""The roles migration keeps every coordinator as a "coordinator"; going back keeps the coordinators."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from elicitation.models import StudyMember

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("elicitation", "0015_jobs_email_jobs")]
AFTER = [("elicitation", "0016_roles_study_members")]


@pytest.fixture
def latest_schema_after():
    """Bring the database back to every app's latest migration, for the tests that follow."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_coordinators_become_coordinator_members_and_back(
    study_a, study_b, coordinator_a, coordinator_b, latest_schema_after
):
    StudyMember.objects.create(study=study_b, user=coordinator_a, role="analyst")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("elicitation", "Study")
    pairs = set(old.coordinators.through.objects.values_list("study_id", "user_id"))
    # Only the coordinator role goes back: the analyst of study B is not made a coordinator.
    assert pairs == {(study_a.pk, coordinator_a.pk), (study_b.pk, coordinator_b.pk)}
    old.coordinators.through.objects.create(study_id=study_b.pk, user_id=coordinator_a.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    roles = set(StudyMember.objects.values_list("study_id", "user_id", "role"))
    assert roles == {(study, user, "coordinator") for study, user in pairs | {(study_b.pk, coordinator_a.pk)}}
    assert len(set(StudyMember.objects.values_list("uuid", flat=True))) == len(roles)
