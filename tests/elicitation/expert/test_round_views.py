from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from elicitation.models import (
    AnswerRevision,
    AreaResponse,
    AreaRevision,
    AuditEvent,
    Expert,
    Participation,
    Rating,
    Round,
    Suggestion,
)
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def consented(client, expert_a, link_a):
    client.get(link_a)
    response = client.post("/e/consent/", {"consent": "yes"})
    assert response.status_code == 302
    return client


def field(item) -> str:
    return f"r-{item.area_id}-{item.criterion_id}"


def every_answer(round_, value="5"):
    return {field(item): value for item in round_.items.all()}


def test_the_welcome_page_shows_purpose_anonymity_and_asks_consent(client, study_a, expert_a, link_a):
    study_a.introduction = "We ask where rivals could cooperate <safely>."
    study_a.save()
    client.get(link_a)
    body = client.get("/e/").content.decode()
    assert "We ask where rivals could cooperate &lt;safely&gt;." in body
    assert "under a pseudonym" in body
    assert 'name="consent"' in body
    study_a.anonymity = "strict"
    study_a.save()
    body = client.get("/e/").content.decode()
    assert "No coordinator page or export joins your name to your answers." in body


def test_consent_is_required_and_recorded_with_its_time(client, expert_a, link_a, open_round):
    client.get(link_a)
    assert client.get("/e/round/")["Location"] == "/e/"
    response = client.post("/e/consent/", {})
    assert response.status_code == 400
    expert_a.refresh_from_db()
    assert expert_a.consented_at is None
    response = client.post("/e/consent/", {"consent": "yes"})
    assert response["Location"] == "/e/round/"
    expert_a.refresh_from_db()
    assert expert_a.consented_at is not None
    assert AuditEvent.objects.filter(action="expert.consented", actor_expert=expert_a).count() == 1
    client.post("/e/consent/", {"consent": "yes"})
    assert AuditEvent.objects.filter(action="expert.consented").count() == 1


def test_without_an_open_round_the_expert_is_told_so(consented, study_a):
    response = consented.get("/e/round/")
    assert response.status_code == 200
    assert "No round is open right now" in response.content.decode()


def test_the_form_shows_every_active_area_and_criterion_as_labelled_radio_groups(consented, open_round):
    body = consented.get("/e/round/").content.decode()
    for item in open_round.items.select_related("area", "criterion"):
        assert f'name="{field(item)}" value="1"' in body
        assert f'name="{field(item)}" value="9"' in body
        assert f'name="{field(item)}" value="cj"' in body
    assert body.count("<fieldset") == open_round.items.count() + 4  # each item, plus confidence per area
    assert body.count("<legend>") + body.count("<legend ") >= open_round.items.count()
    assert "Verification mechanisms" in body
    assert "0 of 24 answered" in body
    assert "<script>" not in body
    assert " onclick=" not in body
    assert 'href="#main"' in body


def test_the_form_uses_the_experts_language_with_fallback(consented, expert_a, open_round):
    area = open_round.items.all()[0].area
    area.translations = {"zh-hans": {"title": "核查机制"}}
    area.save()
    expert_a.refresh_from_db()
    expert_a.language = "zh-hans"
    expert_a.save()
    body = consented.get("/e/round/").content.decode()
    assert "核查机制" in body
    assert "About Verification mechanisms." in body  # no translated description: the default text
    assert 'lang="zh-hans"' in body


def test_a_reworded_area_shows_the_previous_and_the_new_wording_side_by_side(consented, study_a):
    make_round(study_a, status=Round.Status.CLOSED)
    second = make_round(study_a, status=Round.Status.OPEN)
    area = second.items.all()[0].area
    AreaRevision.objects.create(
        area=area,
        language="en",
        round_number=2,
        old_title="Old title",
        old_description="Old text.",
        new_title=area.title,
    )
    body = consented.get("/e/round/").content.decode()
    assert body.count("The wording of this area changed since the last round.") == 1
    before, after = body.split('class="wording-before"')[1].split('class="wording-after"')
    assert "Old title" in before
    assert "Old text." in before
    assert area.title in after.split("</div>\n  </div>")[0]


def test_an_expert_sees_only_rewordings_of_their_own_language(consented, expert_a, study_a):
    make_round(study_a, status=Round.Status.CLOSED)
    second = make_round(study_a, status=Round.Status.OPEN)
    area = second.items.all()[0].area
    AreaRevision.objects.create(area=area, language="zh-hans", round_number=2, old_title="旧标题", new_title="新标题")
    body = consented.get("/e/round/").content.decode()
    assert "The wording of this area changed since the last round." not in body  # English did not change
    Expert.objects.filter(pk=expert_a.pk).update(language="zh-hans")
    assert "旧标题" in consented.get("/e/round/").content.decode()


def test_autosave_saves_one_answer_and_reports_progress(consented, expert_a, open_round):
    item = open_round.items.all()[0]
    response = consented.post(f"/e/round/{open_round.uuid}/save/", {field(item): "7"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Saved. 1 of 24 answered." in body
    assert 'id="progress"' in body
    assert 'hx-swap-oob="true"' in body
    rating = Rating.objects.get()
    assert (rating.expert_id, rating.value, rating.cannot_judge) == (expert_a.pk, 7, False)
    assert AnswerRevision.objects.get().source == "web"
    assert Participation.objects.get(round=open_round, expert=expert_a).started_at is not None


def test_autosave_of_cannot_judge_confidence_and_rationale(consented, open_round):
    item = open_round.items.all()[0]
    url = f"/e/round/{open_round.uuid}/save/"
    assert consented.post(url, {field(item): "cj"}, **HTMX).status_code == 200
    assert consented.post(url, {f"confidence-{item.area_id}": "4"}, **HTMX).status_code == 200
    assert consented.post(url, {f"rationale-{item.area_id}": "Tamper-evident 防篡改"}, **HTMX).status_code == 200
    assert Rating.objects.get().cannot_judge
    response = AreaResponse.objects.get()
    assert (response.confidence, response.rationale) == (4, "Tamper-evident 防篡改")


@pytest.mark.parametrize(
    "data",
    [
        {"r-{a}-{c}": "10"},
        {"r-{a}-{c}": "seven"},
        {"confidence-{a}": "9"},
        {"rationale-{a}": "x" * 4001},
        {},
    ],
)
def test_bad_autosaves_get_400_with_a_message_and_write_nothing(consented, open_round, data):
    item = open_round.items.all()[0]
    data = {key.format(a=item.area_id, c=item.criterion_id): value for key, value in data.items()}
    response = consented.post(f"/e/round/{open_round.uuid}/save/", data, **HTMX)
    assert response.status_code == 400
    assert "status-error" in response.content.decode()
    assert not Rating.objects.exists()
    assert not AreaResponse.objects.exists()
    assert not AnswerRevision.objects.exists()


def test_an_answer_to_a_closed_round_gets_409_and_is_not_stored(consented, open_round):
    item = open_round.items.all()[0]
    Round.objects.filter(pk=open_round.pk).update(status=Round.Status.CLOSED, closed_at=timezone.now())
    response = consented.post(f"/e/round/{open_round.uuid}/save/", {field(item): "7"}, **HTMX)
    assert response.status_code == 409
    assert "This round is closed" in response.content.decode()
    response = consented.post(f"/e/round/{open_round.uuid}/", every_answer(open_round))
    assert response.status_code == 409
    assert not Rating.objects.exists()


def test_an_expert_of_study_a_cannot_touch_study_b(consented, study_b, open_round):
    round_b = make_round(study_b, status=Round.Status.OPEN)
    item_b = round_b.items.all()[0]
    assert consented.post(f"/e/round/{round_b.uuid}/save/", {field(item_b): "5"}, **HTMX).status_code == 404
    assert consented.post(f"/e/round/{round_b.uuid}/", {field(item_b): "5"}).status_code == 404
    # study B's items posted into study A's round are refused too
    response = consented.post(f"/e/round/{open_round.uuid}/save/", {field(item_b): "5"}, **HTMX)
    assert response.status_code == 400
    assert not Rating.objects.exists()
    body = consented.get("/e/round/").content.decode()
    assert "Study B" not in body


def test_the_plain_form_saves_everything_and_comes_back_with_the_answers(consented, open_round):
    data = every_answer(open_round, "6")
    area_id = open_round.items.all()[0].area_id
    data |= {f"confidence-{area_id}": "3", f"rationale-{area_id}": "Because.", "action": "save"}
    response = consented.post(f"/e/round/{open_round.uuid}/", data)
    assert response.status_code == 302
    assert Rating.objects.filter(value=6).count() == 24
    body = consented.get("/e/round/").content.decode()
    assert "Your answers are saved." in body
    assert "24 of 24 answered" in body
    assert body.count('value="6" checked') == 24
    assert "Because.</textarea>" in body


def test_the_plain_form_is_all_or_nothing(consented, open_round):
    data = every_answer(open_round, "6")
    item = open_round.items.order_by("-id")[0]
    data[field(item)] = "12"
    response = consented.post(f"/e/round/{open_round.uuid}/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved." in body
    assert "The rating must be between 1 and 9." in body
    assert body.count('value="6" checked') == 23  # what was sent is shown again
    assert not Rating.objects.exists()


def test_submitting_needs_every_answer_then_thanks(consented, expert_a, open_round):
    assert consented.get("/e/thanks/")["Location"] == "/e/round/", "no thanks before submitting"
    item = open_round.items.all()[0]
    response = consented.post(f"/e/round/{open_round.uuid}/", {field(item): "5", "action": "submit"})
    assert response.status_code == 400
    missing = open_round.items.count() - 1
    assert f"{missing} items still need an answer" in response.content.decode()
    assert Rating.objects.count() == 1, "the answers given are kept"
    response = consented.post(f"/e/round/{open_round.uuid}/", every_answer(open_round) | {"action": "submit"})
    assert response["Location"] == "/e/thanks/"
    assert Participation.objects.get(round=open_round, expert=expert_a).submitted_at is not None
    assert "Your answers are submitted." in consented.get("/e/thanks/").content.decode()
    body = consented.get("/e/round/").content.decode()
    assert "You have submitted your answers." in body


def test_suggestions_in_round_one(consented, open_round):
    body = consented.get("/e/round/").content.decode()
    assert 'id="suggestions"' in body
    response = consented.post(f"/e/round/{open_round.uuid}/suggest/", {"text": "Joint incident database <b>"})
    assert response.status_code == 302
    assert Suggestion.objects.get().text == "Joint incident database <b>"
    body = consented.get("/e/round/").content.decode()
    assert "Joint incident database &lt;b&gt;" in body
    response = consented.post(f"/e/round/{open_round.uuid}/suggest/", {"text": " "})
    assert response.status_code == 400
    assert Suggestion.objects.count() == 1


def test_no_suggestion_box_after_round_one(consented, two_rounds):
    body = consented.get("/e/round/").content.decode()
    assert 'id="suggestions"' not in body


def test_autosave_needs_the_csrf_token(client, expert_a, link_a, open_round):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.get(link_a)
    strict.post("/e/consent/", {"consent": "yes"})  # refused without a token
    expert_a.consented_at = timezone.now()
    expert_a.save()
    item = open_round.items.all()[0]
    response = strict.post(f"/e/round/{open_round.uuid}/save/", {field(item): "5"}, **HTMX)
    assert response.status_code == 403
    page = strict.get("/e/round/").content.decode()
    match = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert match is not None
    token = match[1]
    response = strict.post(f"/e/round/{open_round.uuid}/save/", {field(item): "5"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200


def test_another_experts_link_replaces_the_session(client, study_a, open_round):
    first, second = study_a.experts.order_by("number")[:2]
    client.get(f"/e/{token_issue(expert=first)}/")
    client.get(f"/e/{token_issue(expert=second)}/")
    client.post("/e/consent/", {"consent": "yes"})
    item = open_round.items.all()[0]
    client.post(f"/e/round/{open_round.uuid}/save/", {field(item): "5"}, **HTMX)
    assert Rating.objects.get().expert_id == second.pk


def test_the_expert_can_switch_among_the_studys_languages(consented, expert_a, open_round):
    body = consented.get("/e/round/").content.decode()
    assert 'name="language"' in body
    response = consented.post("/e/language/", {"language": "zh-hans", "next": "/e/round/"})
    assert response["Location"] == "/e/round/"
    expert_a.refresh_from_db()
    assert expert_a.language == "zh-hans"
    assert 'lang="zh-hans"' in consented.get("/e/round/").content.decode()
    assert consented.post("/e/language/", {"language": "fr"}).status_code == 400
    response = consented.post("/e/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/e/"
    assert AuditEvent.objects.filter(action="expert.language_set").count() == 2


def test_an_item_new_in_this_round_says_so(consented, study_a):
    from tests.factories import rate_everything

    first = make_round(study_a, status=Round.Status.CLOSED)
    new = first.items.all()[0]
    new.delete()  # not asked in round 1, so nobody rated it
    rate_everything(first)
    study_a.feedback_timing = "before"
    study_a.save()
    make_round(study_a, status=Round.Status.OPEN)
    body = consented.get("/e/round/").content.decode()
    assert body.count("it is new in this round") == 1


def test_no_answer_is_taken_before_consent(client, link_a, open_round):
    client.get(link_a)
    item = open_round.items.all()[0]
    data = {field(item): "5"}
    response = client.post(f"/e/round/{open_round.uuid}/save/", data, **HTMX)
    assert response.status_code == 403
    assert "Please tick the box" in response.content.decode()
    assert client.post(f"/e/round/{open_round.uuid}/", data)["Location"] == "/e/"
    assert client.post(f"/e/round/{open_round.uuid}/suggest/", {"text": "Idea"})["Location"] == "/e/"
    assert not Rating.objects.exists()
    assert not Suggestion.objects.exists()


def test_a_returning_expert_lands_on_the_form_with_last_rounds_reasons_and_a_jump_link(client, two_rounds, expert_a):
    """Issue 20 item 2 without a browser (tests/browser/test_expert_form_phone.py drives it on a phone): a
    returning expert skips the welcome page, finds their round-1 reasons in the box, editable, and a failed
    submit names the count and links to the first unanswered item."""
    first, second = two_rounds
    area = first.study.areas.earliest("order")
    AreaResponse.objects.create(round=first, expert=expert_a, area=area, rationale="Shared suites first.")
    expert_a.consented_at = timezone.now()  # consented in round 1
    expert_a.save(update_fields=["consented_at"])
    response = client.get(f"/e/{token_issue(expert=expert_a)}/")
    assert response["Location"] == "/e/round/"
    body = client.get("/e/round/").content.decode()
    box = re.search(rf'<textarea[^>]*id="rationale-{area.pk}"[^>]*>([^<]*)</textarea>', body)
    assert box is not None
    assert box.group(1) == "Shared suites first."
    assert f'id="rationale-{area.pk}-carried"' in body
    assert "Your reasons from round 1, carried over" in body
    items = list(second.items.order_by("area__order", "criterion__order"))
    posted = {field(item): "5" for item in items[1:]}  # the form's first item left out
    response = client.post(f"/e/round/{second.uuid}/", posted | {"action": "submit"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "1 item still needs an answer" in body
    assert f'href="#item-{items[0].area_id}-{items[0].criterion_id}"' in body
    assert f'id="item-{items[0].area_id}-{items[0].criterion_id}"' in body
