"""The study's team: roles (coordinator, analyst, observer), adding, changing and removing members (docs/roles.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import AuditEvent, Study, StudyMember
from elicitation.setup.services.members import study_member_add, study_member_change_role, study_member_remove
from tests.conftest import client_for
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def membership(study: Study, user) -> StudyMember:
    return StudyMember.objects.get(study=study, user=user)


# Services


def test_a_member_is_added_with_a_role_and_audited(study_a, coordinator_a, coordinator_b):
    member = study_member_add(study=study_a, username=" bob ", role="analyst", user=coordinator_a)
    assert (member.user, member.role) == (coordinator_b, "analyst")
    event = AuditEvent.objects.get(action="study.member_added")
    assert (event.study, event.actor_user, event.target, event.detail) == (
        study_a,
        coordinator_a,
        "bob",
        {"role": "analyst"},
    )


@pytest.mark.parametrize(
    ("username", "role", "field"),
    [
        ("bob", "owner", "role"),
        ("ghost", "analyst", "username"),
        ("alice", "observer", "username"),
        ("", "analyst", "username"),
    ],
)
def test_a_bad_addition_is_a_field_error_and_writes_nothing(
    study_a, coordinator_a, coordinator_b, username, role, field
):
    before = (StudyMember.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as caught:
        study_member_add(study=study_a, username=username, role=role, user=coordinator_a)
    assert field in caught.value.field_errors
    assert (StudyMember.objects.count(), AuditEvent.objects.count()) == before


def test_an_inactive_user_cannot_be_added(study_a, coordinator_a):
    make_user("gone", is_active=False)
    with pytest.raises(InvalidInput):
        study_member_add(study=study_a, username="gone", role="observer", user=coordinator_a)


def test_a_role_changes_and_the_change_is_audited_with_the_previous_role(study_a, coordinator_a, observer_a):
    study_member_change_role(study=study_a, member=membership(study_a, observer_a), role="analyst", user=coordinator_a)
    assert membership(study_a, observer_a).role == "analyst"
    event = AuditEvent.objects.get(action="study.member_role_changed")
    assert event.detail == {"role": "analyst", "previous_role": "observer"}
    assert event.target == "oscar"


def test_the_last_coordinator_can_be_neither_demoted_nor_removed(study_a, coordinator_a):
    own = membership(study_a, coordinator_a)
    before = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition):
        study_member_change_role(study=study_a, member=own, role="observer", user=coordinator_a)
    with pytest.raises(IllegalTransition):
        study_member_remove(study=study_a, member=own, user=coordinator_a)
    assert membership(study_a, coordinator_a).role == "coordinator"
    assert AuditEvent.objects.count() == before


def test_a_co_coordinator_is_removed_and_the_removal_is_audited(study_a, coordinator_a, coordinator_b):
    add_member(study_a, coordinator_b, "coordinator")
    study_member_remove(study=study_a, member=membership(study_a, coordinator_b), user=coordinator_a)
    assert not StudyMember.objects.filter(study=study_a, user=coordinator_b).exists()
    event = AuditEvent.objects.get(action="study.member_removed")
    assert (event.target, event.detail) == ("bob", {"role": "coordinator"})
    # With a second coordinator gone, the first is the last again.
    with pytest.raises(IllegalTransition):
        study_member_remove(study=study_a, member=membership(study_a, coordinator_a), user=coordinator_a)


def test_of_two_coordinators_one_may_step_down(study_a, coordinator_a, coordinator_b):
    add_member(study_a, coordinator_b, "coordinator")
    study_member_change_role(
        study=study_a, member=membership(study_a, coordinator_a), role="analyst", user=coordinator_a
    )
    assert list(study_a.coordinators) == [coordinator_b]


def test_a_member_of_another_study_cannot_be_changed_through_this_one(study_a, study_b, coordinator_a, coordinator_b):
    with pytest.raises(StudyMember.DoesNotExist):
        study_member_remove(study=study_a, member=membership(study_b, coordinator_b), user=coordinator_a)
    assert StudyMember.objects.filter(study=study_b, user=coordinator_b).exists()


def test_one_person_has_one_role_per_study_in_the_database(study_a, coordinator_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StudyMember.objects.create(study=study_a, user=coordinator_a, role="observer")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyMember.objects.create(study=study_a, user=make_user("x"), role="owner")


# The team page


def test_the_team_page_lists_every_member_with_their_role(study_a, coordinator_a, analyst_a, observer_a):
    page = client_for(coordinator_a).get(reverse("study-team", args=[study_a.uuid])).content.decode()
    for name in ("alice", "anna", "oscar"):
        assert name in page
    assert "The last coordinator stays" in page
    assert page.count(reverse("study-member-remove", args=[study_a.uuid, membership(study_a, analyst_a).uuid])) == 1


def test_a_coordinator_adds_changes_and_removes_members_on_the_page(study_a, coordinator_a, coordinator_b):
    client = client_for(coordinator_a)
    team = reverse("study-team", args=[study_a.uuid])
    assert client.post(team, {"username": "bob", "role": "observer"})["Location"] == team
    member = membership(study_a, coordinator_b)
    assert member.role == "observer"
    role_url = reverse("study-member-role", args=[study_a.uuid, member.uuid])
    assert client.post(role_url, {"role": "coordinator"})["Location"] == team
    assert membership(study_a, coordinator_b).role == "coordinator"
    remove_url = reverse("study-member-remove", args=[study_a.uuid, member.uuid])
    assert client.post(remove_url)["Location"] == team
    assert not StudyMember.objects.filter(study=study_a, user=coordinator_b).exists()
    assert client_for(coordinator_b).get(reverse("study-detail", args=[study_a.uuid])).status_code == 404


def test_refusals_on_the_page_say_why_and_change_nothing(study_a, coordinator_a):
    client = client_for(coordinator_a)
    own = membership(study_a, coordinator_a)
    response = client.post(reverse("study-member-remove", args=[study_a.uuid, own.uuid]))
    assert response.status_code == 409
    assert "at least one coordinator" in response.content.decode()
    response = client.post(reverse("study-member-role", args=[study_a.uuid, own.uuid]), {"role": "observer"})
    assert response.status_code == 409
    response = client.post(reverse("study-member-role", args=[study_a.uuid, own.uuid]), {"role": "owner"})
    assert response.status_code == 400
    response = client.post(reverse("study-team", args=[study_a.uuid]), {"username": "ghost", "role": "analyst"})
    assert response.status_code == 400
    assert "There is no active user with this name." in response.content.decode()
    assert list(StudyMember.objects.values_list("role", flat=True)) == ["coordinator"]


def test_a_coordinator_stepping_down_lands_where_the_new_role_may_go(study_a, coordinator_a, coordinator_b):
    add_member(study_a, coordinator_b, "coordinator")
    client = client_for(coordinator_a)
    own = membership(study_a, coordinator_a)
    response = client.post(reverse("study-member-role", args=[study_a.uuid, own.uuid]), {"role": "observer"})
    assert response["Location"] == reverse("dashboard:overview", args=[study_a.uuid])
    assert client.get(response["Location"]).status_code == 200
    client = client_for(coordinator_b)
    own = membership(study_a, coordinator_b)
    assert client.post(reverse("study-member-remove", args=[study_a.uuid, own.uuid])).status_code == 409  # last one


def test_a_member_of_another_study_answers_404_on_this_studys_team_routes(
    study_a, study_b, coordinator_a, coordinator_b
):
    other = membership(study_b, coordinator_b)
    client = client_for(coordinator_a)
    assert client.post(reverse("study-member-remove", args=[study_a.uuid, other.uuid])).status_code == 404
    assert (
        client.post(reverse("study-member-role", args=[study_a.uuid, other.uuid]), {"role": "observer"}).status_code
        == 404
    )
    assert membership(study_b, coordinator_b).role == "coordinator"


# What each role sees


def test_the_study_list_names_each_role_and_links_where_it_may_go(study_a, analyst_a, observer_a, coordinator_a):
    for user, link in (
        (coordinator_a, reverse("study-detail", args=[study_a.uuid])),
        (analyst_a, reverse("dashboard:overview", args=[study_a.uuid])),
        (observer_a, reverse("dashboard:overview", args=[study_a.uuid])),
    ):
        page = client_for(user).get(reverse("study-list")).content.decode()
        assert f'href="{link}"' in page, user


def test_the_tab_bar_shows_only_what_the_role_may_open(study_a, analyst_a, observer_a):
    dashboard = reverse("dashboard:overview", args=[study_a.uuid])
    settings_url = reverse("study-settings", args=[study_a.uuid])
    exports_url = reverse("export-page", args=[study_a.uuid])
    team_url = reverse("study-team", args=[study_a.uuid])
    observer_page = client_for(observer_a).get(dashboard).content.decode()
    assert dashboard in observer_page
    assert settings_url not in observer_page
    assert exports_url not in observer_page
    assert team_url not in observer_page
    assert reverse("study-detail", args=[study_a.uuid]) + '"' not in observer_page  # breadcrumbs lead to the dashboard
    analyst_page = client_for(analyst_a).get(exports_url).content.decode()
    assert exports_url in analyst_page
    assert settings_url not in analyst_page


def test_the_team_page_reads_in_chinese(study_a, coordinator_a, analyst_a):
    client = client_for(coordinator_a)
    page = client.get(reverse("study-team", args=[study_a.uuid]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "分析员" in page
    assert "Change the role" not in page
