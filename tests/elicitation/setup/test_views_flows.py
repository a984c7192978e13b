"""The setup pages through the test client: responses and database, good and bad input."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from elicitation.expert.forms import round_form
from elicitation.models import AreaRevision, Expert, InvitationToken, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round, open_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


def test_a_study_is_created_from_a_template_and_the_creator_coordinates_it(alice, coordinator_a):
    response = alice.post(reverse("study-create"), {"title": "Rivals", "template": "ai_safety_cooperation"})
    study = Study.objects.get(title="Rivals")
    assert response.status_code == 302
    assert response["Location"] == reverse("study-detail", args=[study.uuid])
    assert list(study.coordinators.all()) == [coordinator_a]
    assert study.areas.count() == 5
    page = alice.get(response["Location"]).content.decode()
    assert "Verification mechanisms" in page
    assert "at least 70% of ratings are in one end of the scale" in page  # the COMET rule at either end


def test_a_study_without_a_title_is_refused(alice):
    response = alice.post(reverse("study-create"), {"title": "", "template": ""})
    assert response.status_code == 400
    assert not Study.objects.exists()


def test_a_co_coordinator_is_added_and_then_sees_the_study(alice, client, study_a, coordinator_b):
    response = alice.post(reverse("study-team", args=[study_a.uuid]), {"username": "bob", "role": "coordinator"})
    assert response.status_code == 302
    client.force_login(coordinator_b)
    assert client.get(reverse("study-detail", args=[study_a.uuid])).status_code == 200


def test_an_unknown_co_coordinator_is_refused_on_the_page(alice, study_a):
    response = alice.post(reverse("study-team", args=[study_a.uuid]), {"username": "ghost", "role": "analyst"})
    assert response.status_code == 400
    assert "There is no active user with this name." in response.content.decode()


def settings_data(study: Study, **changes) -> dict:
    data = {
        "title": study.title,
        "question": "",
        "introduction": "",
        "end_date": "",
        "quantile_method": "linear",
        "min_group_size": 6,
        "anonymity": "strict",
        "mode": "realtime",
        "feedback_timing": "before",
        "default_language": "zh-hans",
        "languages": ["en", "zh-hans"],
        "blocs": "\n".join(study.blocs),
        "sectors": "\n".join(study.sectors),
        "suggestions_enabled": "on",
        "reminder_hours_before_deadline": 24,
        "benefit_threshold": "7",
        "risk_low_threshold": "3",
        "risk_safeguard_threshold": "4",
        "risk_avoid_threshold": "7",
    }
    return {**data, **changes}


def test_settings_are_saved(alice, study_a):
    response = alice.post(reverse("study-settings", args=[study_a.uuid]), settings_data(study_a))
    assert response.status_code == 302
    study_a.refresh_from_db()
    assert (study_a.quantile_method, study_a.min_group_size, study_a.anonymity) == ("linear", 6, "strict")
    assert (study_a.mode, study_a.default_language, study_a.reminder_hours_before_deadline) == (
        "realtime",
        "zh-hans",
        24,
    )


@pytest.mark.parametrize(
    "changes",
    [{"min_group_size": 2}, {"languages": ["en"]}, {"blocs": "Atlantis"}, {"risk_low_threshold": "9"}],
)
def test_bad_settings_get_400_and_change_nothing(alice, study_a, changes):
    response = alice.post(reverse("study-settings", args=[study_a.uuid]), settings_data(study_a, **changes))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    study_a.refresh_from_db()
    assert study_a.min_group_size == 5
    assert study_a.anonymity == "standard"


def test_saving_a_frozen_rule_makes_a_new_version(alice, study_a, coordinator_a):
    open_round(study_a, user=coordinator_a)
    url = reverse("study-rule", args=[study_a.uuid])
    data = {"max_iqr": "1", "band": "high", "min_percent_in_band": "75", "reason": "The pilot showed 70% too lax."}
    response = alice.post(url, data, follow=True)
    assert "saved as version 2" in response.content.decode()
    assert study_a.consensus_rules.count() == 2
    assert alice.post(url, {"min_percent_in_band": "75"}).status_code == 400
    assert study_a.consensus_rules.count() == 2


def test_an_area_is_added_and_reworded_with_history(alice, study_a):
    alice.post(
        reverse("area-create", args=[study_a.uuid]),
        {"code": "red-team", "title": "Red-teaming", "description": "", "is_active": "on", "title_zh-hans": "红队测试"},
    )
    area = study_a.areas.get(code="red-team")
    assert area.translations == {"zh-hans": {"title": "红队测试"}}
    assert area.is_active
    make_round(study_a, status="closed")
    response = alice.post(
        reverse("area-edit", args=[study_a.uuid, area.uuid]),
        {"code": "red-team", "title": "Joint red-teaming", "description": "", "order": 9, "is_active": "on"},
    )
    assert response.status_code == 302
    assert AreaRevision.objects.get(area=area).new_title == "Joint red-teaming"


def test_a_new_area_goes_last_on_every_page(alice, study_a):
    """Issue 20: the form offered order 0, so a new area came last on the items page and first on the form."""
    page = alice.get(reverse("area-create", args=[study_a.uuid])).content.decode()
    offered = re.search(r'<input[^>]*name="order"[^>]*>', page)
    assert offered is not None
    value = re.search(r'value="([^"]*)"', offered.group(0))
    posted = {"code": "red-team", "title": "Red-teaming", "description": "", "is_active": "on"}
    posted["order"] = value.group(1) if value else ""  # what the browser sends back untouched
    assert alice.post(reverse("area-create", args=[study_a.uuid]), posted).status_code == 302
    codes = list(study_a.areas.values_list("code", flat=True))  # the model's order
    assert codes[-1] == "red-team"
    items_page = alice.get(reverse("study-items", args=[study_a.uuid])).content.decode()
    positions = [items_page.index(f"areas/{area.uuid}/") for area in study_a.areas.all()]
    assert positions == sorted(positions)
    round_ = make_round(study_a, status="open")
    form_codes = [card.code for card in round_form(expert=study_a.experts.first(), round_=round_).cards]
    assert form_codes == codes


def test_a_duplicate_area_code_is_refused_on_the_form(alice, study_a):
    response = alice.post(
        reverse("area-create", args=[study_a.uuid]), {"code": "protocols", "title": "Again", "is_active": "on"}
    )
    assert response.status_code == 400
    assert "Another item of this study has this code." in response.content.decode()


def test_the_scale_of_a_rated_criterion_is_refused_and_retiring_it_keeps_ratings(alice, study_a):
    round_ = make_round(study_a, status="closed")
    rate_everything(round_)
    criterion = study_a.criteria.get(code="R1")
    data = {"code": "R1", "title": "Risk", "kind": "risk", "scale_min": 1, "scale_max": 5, "is_active": "on"}
    response = alice.post(reverse("criterion-edit", args=[study_a.uuid, criterion.uuid]), data)
    assert response.status_code == 400
    assert "change what they mean" in response.content.decode()
    alice.post(reverse("criterion-set-active", args=[study_a.uuid, criterion.uuid]), {"active": "0"})
    criterion.refresh_from_db()
    assert not criterion.is_active
    assert round_.ratings.filter(criterion=criterion).exists()


def test_an_expert_is_added_and_shown_escaped(alice, study_a):
    data = {"email": "x@example.org", "name": "<b>王</b> ليلى", "bloc": "China", "sector": "", "language": "zh-hans"}
    response = alice.post(reverse("expert-create", args=[study_a.uuid]), data)
    assert response.status_code == 302
    expert = Expert.objects.get(email="x@example.org")
    assert expert.name == "<b>王</b> ليلى"
    page = alice.get(reverse("study-panel", args=[study_a.uuid])).content.decode()
    assert "&lt;b&gt;王&lt;/b&gt; ليلى" in page
    assert "<b>王</b>" not in page


def test_a_duplicate_expert_email_is_refused_on_the_form(alice, study_a):
    existing = study_a.experts.first()
    data = {"email": existing.email.upper(), "name": "Twin", "bloc": "China", "sector": "", "language": "en"}
    response = alice.post(reverse("expert-create", args=[study_a.uuid]), data)
    assert response.status_code == 400
    assert "already in the panel" in response.content.decode()
    assert study_a.experts.count() == 8


def test_deactivating_an_expert_revokes_their_link(alice, study_a):
    expert = study_a.experts.first()
    token_issue(expert=expert)
    response = alice.post(reverse("expert-set-active", args=[study_a.uuid, expert.uuid]), {"active": "0"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert not expert.is_active
    assert not InvitationToken.objects.usable().filter(expert=expert).exists()


def test_a_panel_file_is_imported(alice, study_a):
    upload = SimpleUploadedFile(
        "panel.csv", "email,name,bloc,sector,language\nn@example.org,张三,China,,zh-hans\n".encode()
    )
    response = alice.post(reverse("study-panel-import", args=[study_a.uuid]), {"file": upload})
    assert response.status_code == 302
    assert study_a.experts.get(email="n@example.org").pseudonym == "E-09"


def test_a_bad_panel_file_shows_every_problem_with_line_and_column(alice, study_a):
    content = "email,name,bloc,sector,language\nbad,<i>x</i>,Atlantis,,en\nok@example.org,Y,China,,en\n"
    upload = SimpleUploadedFile("panel.csv", content.encode())
    response = alice.post(reverse("study-panel-import", args=[study_a.uuid]), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<td>2</td><td><code>email</code></td>" in page
    assert "<td>2</td><td><code>bloc</code></td>" in page
    assert study_a.experts.count() == 8


def test_an_items_file_is_imported(alice, study_a):
    content = "type,code,title,kind\narea,new-area,New area,\ncriterion,F1,Feasibility now,benefit\n"
    upload = SimpleUploadedFile("items.csv", content.encode())
    response = alice.post(reverse("study-items-import", args=[study_a.uuid]), {"file": upload})
    assert response.status_code == 302
    assert study_a.areas.filter(code="new-area").exists()
    assert study_a.criteria.filter(code="F1", kind="benefit").exists()


def test_an_edit_with_an_empty_order_keeps_the_place(alice, study_a):
    criterion = study_a.criteria.get(code="B2")
    data = {
        "code": "B2",
        "title": "Trust",
        "kind": "benefit",
        "scale_min": 1,
        "scale_max": 9,
        "order": "",
        "is_active": "on",
    }
    response = alice.post(reverse("criterion-edit", args=[study_a.uuid, criterion.uuid]), data)
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.title, criterion.order) == ("Trust", 1)
    area = study_a.areas.get(code="protocols")
    data = {"code": "protocols", "title": "Protocols", "order": "", "is_active": "on"}
    assert alice.post(reverse("area-edit", args=[study_a.uuid, area.uuid]), data).status_code == 302
    area.refresh_from_db()
    assert (area.title, area.order) == ("Protocols", 1)


def test_a_study_from_the_governance_template_is_bilingual(alice):
    alice.post(reverse("study-create"), {"title": "Governance", "template": "jurisdictional_certification"})
    study = Study.objects.get(title="Governance")
    assert study.areas.count() == 8
    assert study.areas.get(code="certification").localized("zh-hans")["title"] == "司法辖区认证"


def test_rewording_an_area_of_the_open_round_is_a_409_and_changes_nothing(alice, study_a):
    make_round(study_a, status="open")
    area = study_a.areas.get(code="protocols")
    data = {"code": "protocols", "title": "Changed mid-round", "order": 1, "is_active": "on"}
    response = alice.post(reverse("area-edit", args=[study_a.uuid, area.uuid]), data)
    assert response.status_code == 409
    assert "reword it after the round closes" in response.content.decode()
    area.refresh_from_db()
    assert area.title == "Shared protocols"


def test_a_file_in_another_encoding_is_refused_with_a_clear_message(alice, study_a):
    content = "email,name,bloc,sector,language\na@example.org,José,China,,en\n".encode("cp1252")
    upload = SimpleUploadedFile("panel.csv", content)
    response = alice.post(reverse("study-panel-import", args=[study_a.uuid]), {"file": upload})
    assert response.status_code == 400
    assert "save the file as “CSV UTF-8”" in response.content.decode()


def test_the_example_panel_file_imports_as_it_is(alice, study_a):
    example = alice.get(reverse("study-panel-example", args=[study_a.uuid]))
    assert example["Content-Type"] == "text/csv; charset=utf-8"
    assert example.content.decode().splitlines()[0].startswith("email,name,bloc,sector,language,expertise_verification")
    upload = SimpleUploadedFile("panel.csv", example.content)
    response = alice.post(reverse("study-panel-import", args=[study_a.uuid]), {"file": upload})
    assert response.status_code == 302
    assert study_a.experts.filter(email="expert@example.org").exists()


def test_lowering_k_after_consent_gets_400_with_the_reason_and_changes_nothing(alice, study_a):
    expert = study_a.experts.first()
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])
    data = settings_data(study_a, min_group_size=3, anonymity="standard", feedback_by_bloc="on")
    response = alice.post(reverse("study-settings", args=[study_a.uuid]), data)
    assert response.status_code == 400
    assert "it can rise, not fall" in response.content.decode()
    study_a.refresh_from_db()
    assert study_a.min_group_size == 5
