"""The steps between rounds through the API (issue 20 item 10): moderation, rewording and adding areas, the
round's message and preview, the deadline, erasure, suggestions, and participation by round number.

Each goes through the same service as its page: the tests check the answer and what was stored and audited.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elicitation.models import AreaResponse, AreaRevision, AuditEvent, Expert, Round, Study, Suggestion
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.erasure import ERASED_TEXT
from tests.api.helpers import token_client
from tests.conftest import invitation_client
from tests.factories import make_experts, make_round, make_study

pytestmark = pytest.mark.django_db


def later(days: int = 7) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def reasons(round_: Round, count: int | None = None) -> list[AreaResponse]:
    """A reason per expert for the study's first area, as experts write them on the form."""
    area = round_.study.areas.earliest("order")
    experts = list(round_.study.experts.order_by("number"))[:count]
    return AreaResponse.objects.bulk_create(
        AreaResponse(
            round=round_, expert=expert, area=area, rationale=f"Because {expert.number}.", rationale_language="en"
        )
        for expert in experts
    )


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:1500])
    return response.json()


# Moderation -----------------------------------------------------------------------------------------


def test_the_rationales_list_names_each_by_its_uuid_and_area_code(study_a: Study, coordinator_a: User) -> None:
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    written = reasons(round_, 3)
    AreaResponse.objects.create(round=round_, expert=study_a.experts.order_by("number")[4], area=written[0].area)
    rows = ok(token_client(coordinator_a).get(f"/api/v1/rounds/{round_.uuid}/rationales/"))["results"]
    assert [row["uuid"] for row in rows] == [str(response.uuid) for response in written]  # without a reason: not listed
    assert (rows[0]["area"], rows[0]["area_code"]) == (str(written[0].area.uuid), written[0].area.code)
    assert (rows[0]["round"], rows[0]["round_number"]) == (str(round_.uuid), round_.number)
    assert rows[0]["expert"] == "E-01"
    assert (rows[0]["rationale"], rows[0]["hidden"], rows[0]["erased"]) == ("Because 1.", False, False)
    assert "id" not in rows[0]


def test_a_strict_study_lists_rationales_without_pseudonyms(coordinator_a: User) -> None:
    study = make_study(coordinator=coordinator_a, anonymity=Study.Anonymity.STRICT)
    make_experts(study, 3)
    round_ = make_round(study, status=Round.Status.CLOSED)
    reasons(round_)
    rows = ok(token_client(coordinator_a).get(f"/api/v1/rounds/{round_.uuid}/rationales/"))["results"]
    assert len(rows) == 3
    assert {row["expert"] for row in rows} == {None}


def test_the_rationales_list_takes_the_same_queries_whatever_the_panel(
    study_a: Study, coordinator_a: User, django_assert_num_queries: Any
) -> None:
    client = token_client(coordinator_a)
    small = make_round(study_a, status=Round.Status.CLOSED)
    reasons(small, 2)
    ok(client.get(f"/api/v1/rounds/{small.uuid}/rationales/"))  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as first:
        ok(client.get(f"/api/v1/rounds/{small.uuid}/rationales/"))
    large = make_round(study_a, status=Round.Status.CLOSED)
    reasons(large)
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(ok(client.get(f"/api/v1/rounds/{large.uuid}/rationales/"))["results"]) == 8


def test_hide_unhide_and_translate_a_rationale(study_a: Study, coordinator_a: User) -> None:
    study_a.languages = ["en", "zh-hans"]
    study_a.save(update_fields=["languages"])
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    (response,) = reasons(round_, 1)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0  # the round's own events
    client = token_client(coordinator_a)
    base = f"/api/v1/rationales/{response.uuid}"

    hidden = ok(client.post(f"{base}/hide/", {"reason": "names a person"}, format="json"))
    assert (hidden["hidden"], hidden["uuid"], hidden["expert"]) == (True, str(response.uuid), "E-01")
    response.refresh_from_db()
    assert response.hidden_at is not None
    assert response.rationale == "Because 1."
    assert ok(client.post(f"{base}/hide/", {}, format="json"))["hidden"] is True  # again: nothing changes
    assert ok(client.post(f"{base}/unhide/", {}, format="json"))["hidden"] is False

    translated = ok(client.put(f"{base}/translation/", {"translation": "因为。", "language": "zh-hans"}, format="json"))
    assert (translated["translation"], translated["translation_language"]) == ("因为。", "zh-hans")
    same_language = client.put(f"{base}/translation/", {"translation": "Because.", "language": "en"}, format="json")
    assert same_language.status_code == 400
    assert "language" in same_language.json()["field_errors"]
    removed = ok(client.put(f"{base}/translation/", {"translation": ""}, format="json"))
    assert (removed["translation"], removed["translation_language"]) == ("", "")

    events = AuditEvent.objects.filter(study=study_a, pk__gt=before).order_by("pk")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["rationale.hide", "rationale.unhide", "rationale.translated", "rationale.translation_removed"]


def test_moderation_refuses_unknown_keys_and_other_studies(
    study_a: Study, study_b: Study, coordinator_a: User, coordinator_b: User, analyst_a: User
) -> None:
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    (response,) = reasons(round_, 1)
    misspelt = token_client(coordinator_a).post(
        f"/api/v1/rationales/{response.uuid}/hide/", {"raeson": "typo"}, format="json"
    )
    assert misspelt.status_code == 400
    assert misspelt.json()["field_errors"] == {"raeson": ["Unknown field."]}
    for user in (coordinator_b, analyst_a):  # another study's coordinator; an analyst (no moderation)
        client = token_client(user)
        assert client.post(f"/api/v1/rationales/{response.uuid}/hide/", {}, format="json").status_code == 404
        assert client.get(f"/api/v1/rounds/{round_.uuid}/rationales/").status_code == 404
    assert client.post(f"/api/v1/rationales/{uuid.uuid4()}/hide/", {}, format="json").status_code == 404
    response.refresh_from_db()
    assert response.hidden_at is None
    assert not AuditEvent.objects.filter(action="rationale.hide").exists()


# Areas between rounds ---------------------------------------------------------------------------------


def test_rewording_an_area_keeps_the_old_wording_as_the_page_does(study_a: Study, coordinator_a: User) -> None:
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    area = study_a.areas.earliest("order")
    old_title = area.title
    client = token_client(coordinator_a)
    body = {"title": "Shared verification", "description": "Now with inspections."}
    reworded = ok(client.post(f"/api/v1/areas/{area.uuid}/reword/", body, format="json"))
    assert (reworded["uuid"], reworded["code"], reworded["title"]) == (str(area.uuid), area.code, "Shared verification")
    revision = AreaRevision.objects.get(area=area)
    assert (revision.old_title, revision.new_title, revision.round_number) == (old_title, body["title"], 2)
    event = AuditEvent.objects.get(action="area.reword")
    assert event.detail["round_number"] == round_.number + 1
    unchanged = client.post(f"/api/v1/areas/{area.uuid}/reword/", body, format="json")
    assert unchanged.status_code == 400
    assert AreaRevision.objects.filter(area=area).count() == 1


def test_the_areas_patch_records_a_rewording_as_the_reword_step(study_a: Study, coordinator_a: User) -> None:
    """PATCH areas/{uuid}/ (the setup edit) and reword/ both keep the wording experts saw as a revision."""
    make_round(study_a, status=Round.Status.CLOSED)
    area = study_a.areas.earliest("order")
    ok(token_client(coordinator_a).patch(f"/api/v1/areas/{area.uuid}/", {"title": "Patched"}, format="json"))
    assert AreaRevision.objects.filter(area=area, new_title="Patched", round_number=2).count() == 1


def test_rewording_waits_while_an_open_round_asks_the_area(study_a: Study, coordinator_a: User) -> None:
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=2))
    area = study_a.areas.earliest("order")
    client = token_client(coordinator_a)
    refused = client.post(f"/api/v1/areas/{area.uuid}/reword/", {"title": "Changed"}, format="json")
    assert refused.status_code == 409
    extra = client.post(
        f"/api/v1/areas/{area.uuid}/reword/", {"title": "X", "translations": {"zh-hans": {"titel": "X"}}}, format="json"
    )
    assert extra.status_code == 400
    assert "translations.zh-hans.titel" in extra.json()["field_errors"]
    area.refresh_from_db()
    assert area.title != "Changed"


def test_an_area_added_between_rounds_joins_the_drafted_round_and_names_its_suggestions(
    study_a: Study, coordinator_a: User
) -> None:
    first = make_round(study_a, status=Round.Status.CLOSED)
    expert = study_a.experts.earliest("number")
    suggestion = Suggestion.objects.create(round=first, expert=expert, text="Chip registries")
    draft = make_round(study_a)
    client = token_client(coordinator_a)
    body = {"title": "Chip registries", "suggestions": [str(suggestion.uuid)]}
    added = ok(client.post(f"/api/v1/studies/{study_a.uuid}/add-area/", body, format="json"), 201)
    assert added["code"] == "chip-registries"
    assert added["order"] == max(study_a.areas.exclude(code="chip-registries").values_list("order", flat=True)) + 1
    assert draft.items.filter(area__code="chip-registries").count() == study_a.criteria.filter(is_active=True).count()
    listed = ok(client.get(f"/api/v1/studies/{study_a.uuid}/suggestions/"))["results"]
    assert listed == [
        {
            "uuid": str(suggestion.uuid),
            "round": str(first.uuid),
            "round_number": 1,
            "text": "Chip registries",
            "created_on": timezone.now().date().isoformat(),
            "areas": ["chip-registries"],
        }
    ]
    unknown = client.post(
        f"/api/v1/studies/{study_a.uuid}/add-area/",
        {"title": "Other", "suggestions": [str(uuid.uuid4())]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "suggestions.0" in unknown.json()["field_errors"]


# The round's message, preview and deadline ---------------------------------------------------------------


def test_the_rounds_message_is_set_previewed_and_frozen_once_closed(study_a: Study, coordinator_a: User) -> None:
    Study.objects.filter(pk=study_a.pk).update(languages=["en"])
    round_ = make_round(study_a)
    client = token_client(coordinator_a)
    url = f"/api/v1/rounds/{round_.uuid}/messages/"
    saved = ok(client.put(url, {"messages": {"en": "  Two areas were reworded.  "}}, format="json"))
    assert saved == {"round": str(round_.uuid), "messages": {"en": "Two areas were reworded."}}
    assert ok(client.get(url))["messages"] == {"en": "Two areas were reworded."}
    wrong = client.put(url, {"messages": {"zh-hans": "你好"}}, format="json")  # a language the study does not offer
    assert wrong.status_code == 400
    assert "messages.zh-hans" in wrong.json()["field_errors"]

    preview = ok(client.get(f"/api/v1/rounds/{round_.uuid}/email-preview/", {"language": "en"}))
    assert preview["kind"] == "invitation"
    assert preview["language"] == "en"
    assert "Two areas were reworded." in preview["text"]
    assert "Two areas were reworded." in preview["html"]
    reminder = ok(client.get(f"/api/v1/rounds/{round_.uuid}/email-preview/", {"kind": "reminder"}))
    assert reminder["kind"] == "reminder"
    assert reminder["subject"] != preview["subject"]
    assert client.get(f"/api/v1/rounds/{round_.uuid}/email-preview/", {"language": "zh-hans"}).status_code == 400

    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED, opened_at=timezone.now())
    assert client.put(url, {"messages": {"en": "Late"}}, format="json").status_code == 409
    assert AuditEvent.objects.filter(action="round.messages").count() == 1


def test_the_open_rounds_deadline_moves(study_a: Study, coordinator_a: User) -> None:
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=1))
    client = token_client(coordinator_a)
    url = f"/api/v1/rounds/{round_.uuid}/deadline/"
    moved = ok(client.post(url, {"deadline": later(9)}, format="json"))
    round_.refresh_from_db()
    assert moved["deadline"]
    assert round_.deadline is not None
    assert round_.deadline > timezone.now() + timedelta(days=8)
    past = client.post(url, {"deadline": (timezone.now() - timedelta(hours=1)).isoformat()}, format="json")
    assert past.status_code == 400
    assert client.post(url, {"dead_line": later()}, format="json").status_code == 400
    round_close(round=round_, user=None)
    assert client.post(url, {"deadline": later()}, format="json").status_code == 409
    assert AuditEvent.objects.filter(action="round.deadline").count() == 1


# Erasure -------------------------------------------------------------------------------------------------


def test_erasing_an_expert_needs_the_pseudonym_typed(study_a: Study, coordinator_a: User, analyst_a: User) -> None:
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    expert = study_a.experts.earliest("number")
    reasons(round_, 1)
    url = f"/api/v1/experts/{expert.uuid}/erase/"
    client = token_client(coordinator_a)
    assert client.post(url, {}, format="json").status_code == 400
    wrong = client.post(url, {"confirm": "E-02"}, format="json")
    assert wrong.status_code == 400
    assert "confirm" in wrong.json()["field_errors"]
    assert token_client(analyst_a).post(url, {"confirm": "E-01"}, format="json").status_code == 404
    assert Expert.objects.get(pk=expert.pk).erased_at is None

    erased = ok(client.post(url, {"confirm": "e-01"}, format="json"))
    assert (erased["pseudonym"], erased["email"], erased["is_active"]) == ("E-01", None, False)
    expert.refresh_from_db()
    assert expert.erased_at is not None
    assert expert.email == ""
    assert AreaResponse.objects.get(expert=expert).rationale == ERASED_TEXT
    assert AuditEvent.objects.filter(action="expert.erased", study=study_a).count() == 1
    assert client.post(url, {"confirm": "E-01"}, format="json").status_code == 409


def test_a_strict_study_confirms_erasure_by_the_address(coordinator_a: User) -> None:
    study = make_study(coordinator=coordinator_a, anonymity=Study.Anonymity.STRICT)
    (expert,) = make_experts(study, 1)
    client = token_client(coordinator_a)
    url = f"/api/v1/experts/{expert.uuid}/erase/"
    assert client.post(url, {"confirm": "E-01"}, format="json").status_code == 400
    ok(client.post(url, {"confirm": expert.email.upper()}, format="json"))
    assert Expert.objects.get(pk=expert.pk).erased_at is not None


# Suggestions ---------------------------------------------------------------------------------------------


def test_an_expert_suggests_an_area_in_round_one(study_a: Study, coordinator_a: User) -> None:
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))
    expert = study_a.experts.earliest("number")
    client = invitation_client(expert, consented=True)
    made = ok(client.post("/api/v1/me/suggestions/", {"text": "  Joint red-teaming "}, format="json"), 201)
    suggestion = Suggestion.objects.get()
    assert made == {
        "uuid": str(suggestion.uuid),
        "round": str(round_.uuid),
        "round_number": 1,
        "text": "Joint red-teaming",
    }
    assert (suggestion.expert, suggestion.round) == (expert, round_)
    assert client.post("/api/v1/me/suggestions/", {"text": ""}, format="json").status_code == 400
    assert client.post("/api/v1/me/suggestions/", {"txt": "x"}, format="json").status_code == 400
    listed = ok(token_client(coordinator_a).get(f"/api/v1/studies/{study_a.uuid}/suggestions/"))["results"]
    assert [row["text"] for row in listed] == ["Joint red-teaming"]
    assert "expert" not in listed[0]
    assert AuditEvent.objects.filter(action="suggestion.added").count() == 1


def test_suggestions_need_consent_an_open_first_round_and_a_study_that_asks(study_a: Study) -> None:
    expert = study_a.experts.earliest("number")
    assert (
        invitation_client(expert, consented=True)
        .post("/api/v1/me/suggestions/", {"text": "Idea"}, format="json")
        .status_code
        == 409
    )
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))
    unconsented = invitation_client(study_a.experts.order_by("number")[1])
    assert unconsented.post("/api/v1/me/suggestions/", {"text": "Idea"}, format="json").status_code == 403
    Study.objects.filter(pk=study_a.pk).update(suggestions_enabled=False)
    refused = invitation_client(expert, consented=True).post("/api/v1/me/suggestions/", {"text": "Idea"}, format="json")
    assert refused.status_code == 400
    assert "text" in refused.json()["field_errors"]
    assert not Suggestion.objects.exists()


def test_an_expert_gives_confidence_and_reasons_per_area(study_a: Study) -> None:
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))
    expert = study_a.experts.earliest("number")
    first, second = study_a.areas.order_by("order")[:2]
    client = invitation_client(expert, consented=True)
    assert ok(client.get("/api/v1/me/reasons/")) == {"round": str(round_.uuid), "round_number": 1, "reasons": []}
    body = {
        "reasons": [
            {"area": str(first.uuid), "confidence": 4, "rationale": "Labs already share evals."},
            {"area": str(second.uuid), "confidence": 2},
        ]
    }
    saved = ok(client.put("/api/v1/me/reasons/", body, format="json"))
    assert [(row["area_code"], row["confidence"], row["rationale"]) for row in saved["reasons"]] == [
        (first.code, 4, "Labs already share evals."),
        (second.code, 2, ""),
    ]
    only_confidence = {"reasons": [{"area": str(first.uuid), "confidence": 5}]}
    kept = ok(client.put("/api/v1/me/reasons/", only_confidence, format="json"))
    assert kept["reasons"][0]["rationale"] == "Labs already share evals."  # a field left out is kept
    assert AuditEvent.objects.filter(action="answers.area_saved", actor_expert=expert).count() == 3

    bad = {"reasons": [{"area": str(first.uuid), "confidence": 1}, {"area": str(uuid.uuid4()), "rationale": "x"}]}
    refused = client.put("/api/v1/me/reasons/", bad, format="json")
    assert refused.status_code == 400
    assert "reasons.1.area" in refused.json()["field_errors"]
    assert AreaResponse.objects.get(expert=expert, area=first).confidence == 5  # all or nothing
    assert client.put("/api/v1/me/reasons/", {"reasons": [], "note": "x"}, format="json").status_code == 400


# Participation by round number -------------------------------------------------------------------------


def test_participation_is_filtered_by_round_numbers_as_the_tables(study_a: Study, coordinator_a: User) -> None:
    rounds = [make_round(study_a, status=Round.Status.CLOSED) for _ in range(3)]
    client = token_client(coordinator_a)

    def numbers(**query: Any) -> list[int]:
        rows = ok(client.get("/api/v1/participation/", {"study": str(study_a.uuid), **query}))["results"]
        return sorted({row["round_number"] for row in rows})

    assert numbers(rounds="1,3") == [1, 3]
    repeated = ok(client.get(f"/api/v1/participation/?study={study_a.uuid}&rounds=2&rounds=3"))["results"]
    assert sorted({row["round_number"] for row in repeated}) == [2, 3]
    assert numbers(round=str(rounds[1].uuid)) == [2]  # the deprecated alias still works
    assert client.get("/api/v1/participation/", {"rounds": "two"}).status_code == 400
    assert client.get("/api/v1/participation/", {"rounds": "0"}).status_code == 400
