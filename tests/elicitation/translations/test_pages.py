"""The coordinator's translation pages: status per text and language, confirming, writing study texts."""

import pytest
from django.urls import reverse

from elicitation.models import AuditEvent
from elicitation.rounds.services.planning import area_reword
from elicitation.setup.services.translations import STALE, text_state
from tests.factories import make_bilingual_study, make_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(coordinator_a):
    return make_bilingual_study(coordinator=coordinator_a)


def status_url(study):
    return reverse("study-translations", kwargs={"study_uuid": study.uuid})


def test_the_page_shows_which_language_is_stale_and_missing(coordinator_client, study, coordinator_a):
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="About Infrastructure.")
    study.translations["zh-hans"].pop("question")
    study.save()
    html = coordinator_client.get(status_url(study)).content.decode()
    assert "2 texts need work." in html
    row = html.split("Area “Shared infrastructure”")[1].split("</tr>")[0]
    assert "stale" in row
    assert "Confirm the 简体中文 wording still matches" in row
    question_row = html.split("<td>question</td>")[1].split("</tr>")[0]
    assert "missing" in question_row
    assert ">zh-hans<" not in html  # languages by name, not by code


def test_confirming_clears_the_stale_mark_and_is_audited(coordinator_client, study, coordinator_a):
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="About Infrastructure.")
    area.refresh_from_db()
    assert text_state(area, "title", "zh-hans", default_language="en", languages=["en", "zh-hans"]) == STALE
    url = reverse("study-translation-confirm", kwargs={"study_uuid": study.uuid})
    data = {"kind": "area", "owner": area.pk, "key": "title", "language": "zh-hans"}
    assert coordinator_client.post(url, data).status_code == 302
    area.refresh_from_db()
    assert text_state(area, "title", "zh-hans", default_language="en", languages=["en", "zh-hans"]) == ""
    assert AuditEvent.objects.filter(action="text.confirmed").count() == 1
    again = coordinator_client.post(url, data)
    assert again.status_code == 400
    assert "not stale" in again.content.decode()


def test_another_coordinator_cannot_see_or_confirm(client, coordinator_b, study):
    client.force_login(coordinator_b)
    assert client.get(status_url(study)).status_code == 404
    url = reverse("study-translation-confirm", kwargs={"study_uuid": study.uuid})
    assert (
        client.post(url, {"kind": "study", "owner": study.pk, "key": "title", "language": "zh-hans"}).status_code == 404
    )


def test_the_page_runs_a_fixed_number_of_queries(coordinator_client, coordinator_a, django_assert_num_queries):
    small = make_bilingual_study(coordinator=coordinator_a)
    big = make_study(coordinator=coordinator_a, areas=[(f"a{n}", f"Area {n}") for n in range(30)])
    coordinator_client.get(status_url(small))  # warm the session and the translation catalogue
    with django_assert_num_queries(6) as small_queries:
        coordinator_client.get(status_url(small))
    with django_assert_num_queries(len(small_queries.captured_queries)):
        coordinator_client.get(status_url(big))


def test_the_settings_page_writes_the_study_texts_and_group_names_in_chinese(coordinator_client, study):
    url = reverse("study-settings", kwargs={"study_uuid": study.uuid})
    form = coordinator_client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data["languages"] = ["en", "zh-hans"]
    data["blocs"] = "\n".join(study.blocs)
    data["sectors"] = "\n".join(study.sectors)
    data["question_zh-hans"] = "竞争对手能在哪些领域合作？"
    data["blocs_zh-hans"] = "美国\n中国\n欧洲\n其他国家"
    data["sectors_zh-hans"] = "学术界\n产业界\n政府\n公民社会"
    data["sender_name"] = "Delphi study office"
    data["contact_email"] = "office@example.org"
    data.pop("end_date", None)
    response = coordinator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    study.refresh_from_db()
    assert study.localized("zh-hans")["question"] == "竞争对手能在哪些领域合作？"
    assert study.group_name("Other", "zh-hans") == "其他国家"
    assert (study.sender_name, study.contact_email) == ("Delphi study office", "office@example.org")
    # Chinese reworded alone: the English question is now the older wording.
    assert text_state(study, "question", "en", default_language="en", languages=["en", "zh-hans"]) == STALE


def test_group_names_must_match_the_groups_line_by_line(coordinator_client, study):
    url = reverse("study-settings", kwargs={"study_uuid": study.uuid})
    form = coordinator_client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data.update(languages=["en", "zh-hans"], blocs="\n".join(study.blocs), sectors="\n".join(study.sectors))
    data["blocs_zh-hans"] = "美国\n中国"
    data.pop("end_date", None)
    response = coordinator_client.post(url, data)
    assert response.status_code == 400
    assert "Give one name per line for each of the 4 above" in response.content.decode()
    study.refresh_from_db()
    assert study.group_name("China", "zh-hans") == "中国"
