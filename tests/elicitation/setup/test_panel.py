"""The panel: add, edit, deactivate; pseudonyms stable; names kept exactly."""

import pytest

from core.errors import InvalidInput
from elicitation.models import Expert, InvitationToken
from elicitation.setup.services.panel import expert_add, expert_deactivate, expert_reactivate, expert_update
from elicitation.setup.services.tokens import token_find, token_issue

pytestmark = pytest.mark.django_db


def add(study, user, **fields):
    values = {"email": "new@example.org", "name": "New", "bloc": "China", "sector": "Academia", "language": "en"}
    return expert_add(study=study, user=user, **{**values, **fields})


def test_a_new_expert_gets_the_next_pseudonym_and_canonical_groups(study_a, coordinator_a):
    expert = add(study_a, coordinator_a, bloc=" china ", sector="ACADEMIA", language="zh-Hans")
    assert expert.pseudonym == "E-09"
    assert (expert.bloc, expert.sector, expert.language) == ("China", "Academia", "zh-hans")


def test_pseudonyms_are_never_reused(study_a, coordinator_a):
    last = study_a.experts.order_by("-number").first()
    expert_deactivate(expert=last, user=coordinator_a)
    assert add(study_a, coordinator_a).number == 9


@pytest.mark.parametrize("name", ["王小明", "ليلى حداد", "יעל כהן", "<script>alert(1)</script>", "Zoë  Ångström"])
def test_names_are_stored_exactly(study_a, coordinator_a, name):
    expert = add(study_a, coordinator_a, name=name)
    expert.refresh_from_db()
    assert expert.name == name


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "EXPERT1.S{pk}@EXAMPLE.ORG"}, "email"),  # duplicate differing only by case
        ({"bloc": "Atlantis"}, "bloc"),
        ({"sector": "Military"}, "sector"),
        ({"language": "fr"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"expertise": {"verification": 6}}, "expertise_verification"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_experts_are_refused(study_a, coordinator_a, fields, field):
    fields = {k: v.format(pk=study_a.pk) if isinstance(v, str) else v for k, v in fields.items()}
    with pytest.raises(InvalidInput) as caught:
        add(study_a, coordinator_a, **fields)
    assert field in caught.value.field_errors
    assert study_a.experts.count() == 8


def test_a_duplicate_in_another_unicode_form_is_refused(study_a, coordinator_a):
    add(study_a, coordinator_a, email="expert@b\u00fccher.example")
    with pytest.raises(InvalidInput) as caught:
        add(study_a, coordinator_a, email="Expert@bu\u0308cher.example")
    assert caught.value.field_errors["email"] == ["An expert with this email address is already in the panel."]


def test_the_same_email_may_serve_in_two_studies(study_a, study_b, coordinator_a, coordinator_b):
    add(study_a, coordinator_a)
    add(study_b, coordinator_b)


def test_editing_an_expert_checks_duplicates_against_others_only(study_a, coordinator_a):
    first, second = study_a.experts.order_by("number")[:2]
    expert_update(expert=first, user=coordinator_a, name="Renamed", email=first.email.upper())
    with pytest.raises(InvalidInput):
        expert_update(expert=first, user=coordinator_a, email=second.email)
    first.refresh_from_db()
    assert first.name == "Renamed"


def test_deactivation_revokes_links_at_once_and_reactivation_needs_a_new_link(study_a, coordinator_a):
    expert = study_a.experts.first()
    secret = token_issue(expert=expert)
    assert token_find(secret=secret) is not None
    expert_deactivate(expert=expert, user=coordinator_a)
    assert token_find(secret=secret) is None
    assert InvitationToken.objects.get(expert=expert).revoked_at is not None
    expert_reactivate(expert=expert, user=coordinator_a)
    assert Expert.objects.get(pk=expert.pk).is_active
    assert token_find(secret=secret) is None
    actions = list(study_a.audit_events.values_list("action", flat=True))
    assert actions == ["expert.deactivated", "expert.reactivated"]
