"""Only a study's coordinators reach its setup pages: others get 404, anonymous visitors the login page."""

import pytest
from django.urls import reverse

from elicitation.models import Study

pytestmark = pytest.mark.django_db


def setup_urls(study: Study) -> list[str]:
    area = study.areas.first()
    criterion = study.criteria.first()
    expert = study.experts.first()
    assert area is not None
    assert criterion is not None
    assert expert is not None
    return [
        reverse("study-detail", args=[study.uuid]),
        reverse("study-settings", args=[study.uuid]),
        reverse("study-team", args=[study.uuid]),
        reverse("study-rule", args=[study.uuid]),
        reverse("study-items", args=[study.uuid]),
        reverse("study-items-import", args=[study.uuid]),
        reverse("area-create", args=[study.uuid]),
        reverse("area-edit", args=[study.uuid, area.uuid]),
        reverse("area-set-active", args=[study.uuid, area.uuid]),
        reverse("criterion-create", args=[study.uuid]),
        reverse("criterion-edit", args=[study.uuid, criterion.uuid]),
        reverse("criterion-set-active", args=[study.uuid, criterion.uuid]),
        reverse("study-panel", args=[study.uuid]),
        reverse("study-panel-import", args=[study.uuid]),
        reverse("study-panel-example", args=[study.uuid]),
        reverse("expert-create", args=[study.uuid]),
        reverse("expert-edit", args=[study.uuid, expert.uuid]),
        reverse("expert-set-active", args=[study.uuid, expert.uuid]),
    ]


def test_another_coordinator_gets_404_on_every_page_and_changes_nothing(client, study_a, study_b, coordinator_b):
    client.force_login(coordinator_b)
    for url in setup_urls(study_a):
        assert client.get(url).status_code in {404, 405}, url
        # 405: a read-only page refuses a POST before looking anything up
        assert client.post(url, {"active": "0", "username": "bob", "title": "x"}).status_code in {404, 405}, url
    assert study_a.experts.filter(is_active=False).count() == 0
    assert study_a.areas.filter(is_active=False).count() == 0
    assert not study_a.coordinators.filter(username="bob").exists()


def test_a_logged_in_outsider_gets_404(client, study_a, outsider):
    client.force_login(outsider)
    for url in setup_urls(study_a):
        assert client.get(url).status_code in {404, 405}, url


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, study_a):
    for url in [*setup_urls(study_a), reverse("study-create")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_items_of_another_study_are_404_even_under_ones_own_study(client, study_a, study_b, coordinator_a):
    client.force_login(coordinator_a)
    other_area = study_b.areas.first()
    other_expert = study_b.experts.first()
    assert other_area is not None
    assert other_expert is not None
    assert client.get(reverse("area-edit", args=[study_a.uuid, other_area.uuid])).status_code == 404
    assert client.get(reverse("expert-edit", args=[study_a.uuid, other_expert.uuid])).status_code == 404
    response = client.post(reverse("expert-set-active", args=[study_a.uuid, other_expert.uuid]), {"active": "0"})
    assert response.status_code == 404
    other_expert.refresh_from_db()
    assert other_expert.is_active


def test_the_study_list_links_to_ones_own_studies_only(client, study_a, study_b, coordinator_a):
    client.force_login(coordinator_a)
    page = client.get(reverse("study-list")).content.decode()
    assert reverse("study-detail", args=[study_a.uuid]) in page
    assert str(study_b.uuid) not in page
