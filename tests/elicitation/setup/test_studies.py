"""Study settings and co-coordinators (services)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from elicitation.models import InvitationToken, Study
from elicitation.setup.services.studies import study_add_coordinator, study_update_settings
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_a_co_coordinator_is_added_by_username(study_a, coordinator_a, coordinator_b):
    study_add_coordinator(study=study_a, username="bob", user=coordinator_a)
    assert set(study_a.coordinators.all()) == {coordinator_a, coordinator_b}
    with pytest.raises(InvalidInput) as caught:
        study_add_coordinator(study=study_a, username="bob", user=coordinator_a)
    assert "username" in caught.value.field_errors
    with pytest.raises(InvalidInput):
        study_add_coordinator(study=study_a, username="nobody", user=coordinator_a)


def test_settings_change_and_are_audited(study_a, coordinator_a):
    study_update_settings(
        study=study_a, user=coordinator_a, min_group_size=4, mode=Study.Mode.REALTIME, blocs=[*study_a.blocs, "Africa"]
    )
    study_a.refresh_from_db()
    assert study_a.min_group_size == 4
    assert study_a.mode == "realtime"
    assert study_a.blocs[-1] == "Africa"
    assert study_a.audit_events.filter(action="study.settings_changed").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_group_size": 2}, "min_group_size"),
        ({"languages": []}, "languages"),
        ({"languages": ["en"], "default_language": "zh-hans"}, "default_language"),
        ({"blocs": ["China", "china"]}, "blocs"),
        ({"blocs": ["Only new"]}, "blocs"),  # experts belong to the old blocs
        ({"reminder_hours_before_deadline": 10_000}, "reminder_hours_before_deadline"),
        ({"risk_low_threshold": 8}, "risk_safeguard_threshold"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(study_a, coordinator_a, changes, field):
    before = Study.objects.filter(pk=study_a.pk).values().get()
    with pytest.raises(InvalidInput) as caught:
        study_update_settings(study=study_a, user=coordinator_a, **changes)
    assert field in caught.value.field_errors
    assert Study.objects.filter(pk=study_a.pk).values().get() == before


def test_strict_anonymity_cannot_be_weakened_once_experts_answered(study_a, coordinator_a):
    study_update_settings(study=study_a, user=coordinator_a, anonymity=Study.Anonymity.STRICT)
    study_update_settings(study=study_a, user=coordinator_a, anonymity=Study.Anonymity.STANDARD)  # no round yet
    study_update_settings(study=study_a, user=coordinator_a, anonymity=Study.Anonymity.STRICT)
    make_round(study_a, status="open")
    with pytest.raises(InvalidInput) as caught:
        study_update_settings(study=study_a, user=coordinator_a, anonymity=Study.Anonymity.STANDARD)
    assert "anonymity" in caught.value.field_errors


def test_a_new_end_date_moves_the_expiry_of_live_links(study_a, coordinator_a):
    expert = study_a.experts.first()
    token_issue(expert=expert)
    end = timezone.now() + timedelta(days=10)
    study_update_settings(study=study_a, user=coordinator_a, end_date=end)
    assert InvitationToken.objects.get(expert=expert).expires_at == end


def _consent(study: Study) -> None:
    expert = study.experts.get(number=1)
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])


def test_everything_may_change_before_the_first_consent(study_a, coordinator_a):
    study_update_settings(study=study_a, user=coordinator_a, min_group_size=8, feedback_by_bloc=False)
    study_update_settings(study=study_a, user=coordinator_a, min_group_size=3, feedback_by_bloc=True)
    study_a.refresh_from_db()
    assert (study_a.min_group_size, study_a.feedback_by_bloc) == (3, True)


@pytest.mark.parametrize(
    ("before", "changes", "field"),
    [
        ({"min_group_size": 5}, {"min_group_size": 4}, "min_group_size"),
        ({"min_group_size": 5}, {"min_group_size": 3, "title": "Renamed"}, "min_group_size"),
        ({"anonymity": Study.Anonymity.STRICT}, {"anonymity": Study.Anonymity.STANDARD}, "anonymity"),
        ({"feedback_by_bloc": False}, {"feedback_by_bloc": True}, "feedback_by_bloc"),
    ],
)
def test_a_consented_promise_cannot_be_weakened_and_nothing_is_saved(study_a, coordinator_a, before, changes, field):
    study_update_settings(study=study_a, user=coordinator_a, **before)
    _consent(study_a)
    saved = Study.objects.filter(pk=study_a.pk).values().get()
    events = study_a.audit_events.count()
    with pytest.raises(InvalidInput) as caught:
        study_update_settings(study=study_a, user=coordinator_a, **changes)
    assert list(caught.value.field_errors) == [field]
    assert "consented" in str(caught.value.field_errors[field][0]) or field == "anonymity"
    assert Study.objects.filter(pk=study_a.pk).values().get() == saved
    assert study_a.audit_events.count() == events


def test_a_consented_promise_may_get_stronger(study_a, coordinator_a):
    _consent(study_a)
    study_update_settings(
        study=study_a, user=coordinator_a, min_group_size=7, anonymity=Study.Anonymity.STRICT, feedback_by_bloc=False
    )
    study_a.refresh_from_db()
    assert (study_a.min_group_size, study_a.anonymity, study_a.feedback_by_bloc) == (7, "strict", False)
    study_update_settings(study=study_a, user=coordinator_a, min_group_size=7, feedback_by_bloc=False)  # unchanged
