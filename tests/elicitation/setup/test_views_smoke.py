"""Every setup page renders for the study's coordinator."""

from django.urls import reverse

from tests.factories import make_round


def test_every_setup_page_renders(coordinator_client, study_a):
    make_round(study_a)
    area = study_a.areas.first()
    criterion = study_a.criteria.first()
    expert = study_a.experts.first()
    urls = [
        reverse("study-list"),
        reverse("study-create"),
        reverse("study-detail", args=[study_a.uuid]),
        reverse("study-settings", args=[study_a.uuid]),
        reverse("study-rule", args=[study_a.uuid]),
        reverse("study-items", args=[study_a.uuid]),
        reverse("study-items-import", args=[study_a.uuid]),
        reverse("area-create", args=[study_a.uuid]),
        reverse("area-edit", args=[study_a.uuid, area.uuid]),
        reverse("criterion-create", args=[study_a.uuid]),
        reverse("criterion-edit", args=[study_a.uuid, criterion.uuid]),
        reverse("study-panel", args=[study_a.uuid]),
        reverse("study-panel-import", args=[study_a.uuid]),
        reverse("expert-create", args=[study_a.uuid]),
        reverse("expert-edit", args=[study_a.uuid, expert.uuid]),
    ]
    for url in urls:
        response = coordinator_client.get(url)
        assert response.status_code == 200, url
