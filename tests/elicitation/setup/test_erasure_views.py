"""The erasure page: coordinator-only, a typed confirmation, POST with CSRF, other studies 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from elicitation.models import AuditEvent, Expert, Study


def _url(study: Study, expert: Expert) -> str:
    return reverse("expert-erase", kwargs={"study_uuid": study.uuid, "expert_uuid": expert.uuid})


@pytest.fixture
def expert(study_a: Study) -> Expert:
    return study_a.experts.order_by("number").first()  # type: ignore[return-value]


@pytest.mark.django_db
def test_the_panel_links_to_the_erasure_page(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    body = client.get(reverse("study-panel", kwargs={"study_uuid": study_a.uuid})).content.decode()
    assert _url(study_a, expert) in body


@pytest.mark.django_db
def test_it_asks_for_confirmation_before_erasing(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    response = client.get(_url(study_a, expert))
    assert response.status_code == 200
    assert expert.pseudonym in response.content.decode()
    assert 'name="pseudonym"' in response.content.decode()
    expert.refresh_from_db()
    assert expert.erased_at is None


@pytest.mark.django_db
def test_a_wrong_pseudonym_erases_nothing(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    response = client.post(_url(study_a, expert), {"pseudonym": "E-02"})
    assert response.status_code == 400
    assert "not the pseudonym" in response.content.decode()
    expert.refresh_from_db()
    assert expert.erased_at is None
    assert expert.email
    assert not AuditEvent.objects.filter(action="expert.erased").exists()


@pytest.mark.django_db
def test_the_typed_pseudonym_erases(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    response = client.post(_url(study_a, expert), {"pseudonym": expert.pseudonym.lower()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("study-panel", kwargs={"study_uuid": study_a.uuid})
    expert.refresh_from_db()
    assert expert.erased_at is not None
    assert expert.email == ""
    assert expert.name == ""
    body = response.content.decode()
    assert "Erased" in body
    assert _url(study_a, expert) not in body  # no erase link for an erased expert


@pytest.mark.django_db
def test_an_erased_expert_sends_the_page_back_to_the_panel(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    client.post(_url(study_a, expert), {"pseudonym": expert.pseudonym})
    response = client.post(_url(study_a, expert), {"pseudonym": expert.pseudonym})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="expert.erased").count() == 1


@pytest.mark.django_db
def test_it_needs_the_csrf_token(coordinator_a, study_a, expert):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    response = client.post(_url(study_a, expert), {"pseudonym": expert.pseudonym})
    assert response.status_code == 403
    expert.refresh_from_db()
    assert expert.erased_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_coordinators_and_outsiders_get_404(
    client: Client, coordinator_b, outsider, study_a, study_b, expert, method
):
    for user in (coordinator_b, outsider):
        client.force_login(user)
        response = getattr(client, method)(_url(study_a, expert), {"pseudonym": expert.pseudonym})
        assert response.status_code == 404
    client.force_login(coordinator_b)
    # Study B's coordinator with study B in the URL but study A's expert: still 404.
    assert getattr(client, method)(_url(study_b, expert), {"pseudonym": expert.pseudonym}).status_code == 404
    expert.refresh_from_db()
    assert expert.erased_at is None


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client, study_a, expert):
    response = client.post(_url(study_a, expert), {"pseudonym": expert.pseudonym})
    assert response.status_code == 302
    assert "login" in response["Location"]
    expert.refresh_from_db()
    assert expert.erased_at is None


@pytest.mark.django_db
def test_only_get_and_post(client: Client, coordinator_a, study_a, expert):
    client.force_login(coordinator_a)
    assert client.put(_url(study_a, expert)).status_code == 405


@pytest.mark.django_db
def test_the_confirmation_page_runs_the_same_queries_for_any_panel_size(
    client: Client, coordinator_a, study_a, expert, django_assert_max_num_queries
):
    from tests.factories import make_experts

    client.force_login(coordinator_a)
    client.get(_url(study_a, expert))  # warm the session and the translation caches
    with django_assert_max_num_queries(8) as small:
        assert client.get(_url(study_a, expert)).status_code == 200
    make_experts(study_a, 40)
    with django_assert_max_num_queries(8) as large:
        assert client.get(_url(study_a, expert)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
