"""The panel in the operator's admin: personal data for superusers only; revoking links through the service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from elicitation.models import AuditEvent, InvitationToken
from elicitation.setup.services.tokens import token_issue
from tests.admin_support import client_for, fill_study, superuser, viewer  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled():
    return fill_study(experts=3)


def test_a_superuser_sees_and_searches_experts_names_and_emails(filled, superuser):  # noqa: F811
    client, expert = client_for(superuser), filled.experts[1]
    listing = client.get(reverse("admin:elicitation_expert_changelist")).content.decode()
    assert expert.email in listing
    assert expert.name in listing
    found = client.get(reverse("admin:elicitation_expert_changelist"), {"q": expert.email})
    assert list(found.context["cl"].result_list) == [expert]
    page = client.get(reverse("admin:elicitation_expert_change", args=[expert.pk])).content.decode()
    assert expert.email in page


def test_staff_who_may_view_experts_see_pseudonyms_but_no_name_or_email(filled, viewer):  # noqa: F811
    client, expert = client_for(viewer), filled.experts[1]
    listing = client.get(reverse("admin:elicitation_expert_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert expert.pseudonym in body
    for other in filled.experts:
        assert other.email not in body
        assert other.name not in body
    # Nor can they ask whether an address is on a panel.
    found = client.get(reverse("admin:elicitation_expert_changelist"), {"q": expert.email})
    assert list(found.context["cl"].result_list) == []
    page = client.get(reverse("admin:elicitation_expert_change", args=[expert.pk])).content.decode()
    assert expert.email not in page
    assert expert.name not in page
    links = client.get(reverse("admin:elicitation_invitationtoken_changelist"), {"q": expert.email})
    assert list(links.context["cl"].result_list) == []


def test_a_pseudonym_finds_that_expert(filled, viewer):  # noqa: F811
    found = client_for(viewer).get(reverse("admin:elicitation_expert_changelist"), {"q": "E-02"})
    assert list(found.context["cl"].result_list) == [filled.experts[1]]


def test_revoking_one_link_leaves_the_experts_other_links_and_audits_it(filled, superuser):  # noqa: F811
    expert = filled.experts[0]
    forwarded = token_issue(expert=expert)
    kept = token_issue(expert=expert)
    target = InvitationToken.objects.filter(expert=expert).order_by("-pk")[1]  # the forwarded link's row
    response = client_for(superuser).post(
        reverse("admin:elicitation_invitationtoken_changelist"), {"action": "revoke", "_selected_action": [target.pk]}
    )
    assert response.status_code == 302
    assert InvitationToken.objects.get(pk=target.pk).revoked_at is not None
    assert InvitationToken.objects.filter(expert=expert, revoked_at__isnull=True).count() == 2  # the first and `kept`
    event = AuditEvent.objects.get(action="expert.links_revoked")
    assert (event.actor_user_id, event.study_id, event.target) == (superuser.pk, expert.study_id, expert.pseudonym)
    assert event.detail == {"links_revoked": 1}
    # The revoked link no longer opens a session; the other one still does.
    assert link_status(forwarded) == 404  # the one answer for every unusable link
    assert link_status(kept) == 302  # to the expert's pages


def link_status(secret: str) -> int:
    return Client().get(reverse("expert-link", kwargs={"token": secret})).status_code


def test_revoking_an_experts_links_revokes_every_live_one_and_keeps_them_on_the_panel(filled, superuser):  # noqa: F811
    expert = filled.experts[2]
    token_issue(expert=expert)
    response = client_for(superuser).post(
        reverse("admin:elicitation_expert_changelist"), {"action": "revoke_links", "_selected_action": [expert.pk]}
    )
    assert response.status_code == 302
    assert not InvitationToken.objects.filter(expert=expert, revoked_at__isnull=True).exists()
    expert.refresh_from_db()
    assert expert.is_active
    assert AuditEvent.objects.get(action="expert.links_revoked").detail == {"links_revoked": 2}


def test_revoking_links_already_revoked_changes_and_audits_nothing(filled, superuser):  # noqa: F811
    expert = filled.experts[2]
    InvitationToken.objects.filter(expert=expert).update(revoked_at="2026-01-01T00:00Z")
    client_for(superuser).post(
        reverse("admin:elicitation_expert_changelist"), {"action": "revoke_links", "_selected_action": [expert.pk]}
    )
    assert not AuditEvent.objects.filter(action="expert.links_revoked").exists()
