"""Study reuse pages: copy, templates, definition download and import, as a coordinator uses them."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elicitation.models import SavedTemplate, Study
from elicitation.setup.services.reuse import template_save

pytestmark = pytest.mark.django_db


def test_the_reuse_tab_is_in_the_study_tab_bar_and_offers_copy_template_and_download(coordinator_client, study_a):
    detail = coordinator_client.get(reverse("study-detail", args=[study_a.uuid])).content.decode()
    assert reverse("study-reuse", args=[study_a.uuid]) in detail
    page = coordinator_client.get(reverse("study-reuse", args=[study_a.uuid]))
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("study-duplicate", args=[study_a.uuid]) in body
    assert reverse("study-save-template", args=[study_a.uuid]) in body
    assert reverse("study-definition", args=[study_a.uuid]) in body
    assert 'aria-current="page"' in body


def test_a_copy_is_made_from_the_page_and_opens_on_its_overview(coordinator_client, study_a):
    response = coordinator_client.post(
        reverse("study-duplicate", args=[study_a.uuid]), {"copy-title": "Second wave", "copy-with_panel": "on"}
    )
    copy = Study.objects.get(title="Second wave")
    assert response.status_code == 302
    assert response["Location"] == reverse("study-detail", args=[copy.uuid])
    assert copy.experts.count() == study_a.experts.count()


def test_a_copy_without_a_title_is_refused_with_the_field_error(coordinator_client, study_a):
    count = Study.objects.count()
    response = coordinator_client.post(reverse("study-duplicate", args=[study_a.uuid]), {"copy-title": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert Study.objects.count() == count


def test_the_definition_downloads_as_json_without_any_person(coordinator_client, study_a):
    response = coordinator_client.get(reverse("study-definition", args=[study_a.uuid]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["format_version"] == 1
    assert [a["code"] for a in document["areas"]] == list(study_a.areas.values_list("code", flat=True))
    text = response.content.decode()
    for expert in study_a.experts.all():
        assert expert.email not in text


def test_templates_are_saved_listed_used_and_deleted_by_their_owner_only(coordinator_client, study_a, coordinator_b):
    response = coordinator_client.post(
        reverse("study-save-template", args=[study_a.uuid]),
        {"template-title": "Our standard", "template-description": "Four areas, seven criteria."},
    )
    assert response.status_code == 302
    template = SavedTemplate.objects.get()
    listing = coordinator_client.get(reverse("template-list")).content.decode()
    assert "Our standard" in listing
    assert "Four areas, seven criteria." in listing

    other = Client()
    other.force_login(coordinator_b)
    assert "Our standard" not in other.get(reverse("template-list")).content.decode()
    assert other.post(reverse("template-start", args=[template.uuid]), {"title": "Theft"}).status_code == 404
    assert other.post(reverse("template-delete", args=[template.uuid])).status_code == 404

    response = coordinator_client.post(reverse("template-start", args=[template.uuid]), {"title": "Third wave"})
    new = Study.objects.get(title="Third wave")
    assert response["Location"] == reverse("study-detail", args=[new.uuid])
    assert new.areas.count() == study_a.areas.count()

    response = coordinator_client.post(reverse("template-start", args=[template.uuid]), {"title": ""})
    assert response.status_code == 400

    assert coordinator_client.post(reverse("template-delete", args=[template.uuid])).status_code == 302
    assert not SavedTemplate.objects.exists()


def test_the_template_list_runs_a_fixed_number_of_queries(coordinator_client, study_a, coordinator_a):
    template_save(study=study_a, user=coordinator_a, title="One")
    with CaptureQueriesContext(connection) as one:
        assert coordinator_client.get(reverse("template-list")).status_code == 200
    for number in range(5):
        template_save(study=study_a, user=coordinator_a, title=f"More {number}")
    with CaptureQueriesContext(connection) as six:
        assert coordinator_client.get(reverse("template-list")).status_code == 200
    assert len(six) == len(one)


def _upload(client: Client, data: bytes, title: str = ""):
    return client.post(reverse("study-import"), {"file": SimpleUploadedFile("study.json", data), "title": title})


def test_a_bad_file_is_shown_with_its_line_and_column_and_nothing_is_created(coordinator_client, coordinator_a):
    count = Study.objects.count()
    response = _upload(coordinator_client, b'{\n  "study": {\n    "title": "Broken",\n  }\n}\n')
    body = response.content.decode()
    assert response.status_code == 400
    assert "line 4, column 3" in body
    assert "<td>4</td>" in body
    assert Study.objects.count() == count


def test_schema_problems_are_listed_by_field_path(coordinator_client):
    document = {"study": {"title": "X", "mode": "weekly"}, "criteria": [{"code": "B1", "title": "B"}]}
    response = _upload(coordinator_client, json.dumps(document, indent=2).encode())
    body = response.content.decode()
    assert response.status_code == 400
    assert "<tr><td>4</td><td><code>study.mode</code></td>" in body  # issue 20: line and field
    assert "<code>criteria[0].kind</code>" in body
    assert not Study.objects.filter(title="X").exists()


def test_quantity_question_problems_are_listed_by_field_path(coordinator_client):
    document = {
        "study": {"title": "Q"},
        "areas": [{"code": "verification", "title": "Verification"}],
        "quantity_questions": [{"code": "s1", "area": "elsewhere", "title": "Seed", "seed": True, "realization": 3}],
    }
    response = _upload(coordinator_client, json.dumps(document).encode())
    body = response.content.decode()
    assert response.status_code == 400
    assert "<code>quantity_questions[0].area</code>" in body
    assert "<code>quantity_questions[0].realization</code>" in body
    assert not Study.objects.filter(title="Q").exists()


def test_a_good_file_creates_a_study_the_importer_coordinates(coordinator_client, coordinator_a, study_a):
    data = coordinator_client.get(reverse("study-definition", args=[study_a.uuid])).content
    response = _upload(coordinator_client, data, title="Imported copy")
    study = Study.objects.get(title="Imported copy")
    assert response["Location"] == reverse("study-detail", args=[study.uuid])
    assert list(study.coordinators.all()) == [coordinator_a]
    assert list(study.criteria.values_list("code", flat=True)) == list(study_a.criteria.values_list("code", flat=True))


def test_the_study_list_links_to_templates_and_import(coordinator_client, study_a):
    body = coordinator_client.get(reverse("study-list")).content.decode()
    assert reverse("template-list") in body
    assert reverse("study-import") in body


def test_a_study_that_no_longer_passes_the_checks_is_not_copied_and_the_page_says_why(coordinator_client, study_a):
    Study.objects.filter(pk=study_a.pk).update(languages=["en"], default_language="zh-hans")  # as an old row might be
    count = Study.objects.count()
    response = coordinator_client.post(reverse("study-duplicate", args=[study_a.uuid]), {"copy-title": "Copy"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "<code>study.default_language</code>" in body
    assert Study.objects.count() == count
