"""Rationales across languages: written in the expert's language, translated by a coordinator, both exported.

Everything goes through the real pages: the expert's form, the moderation page, the next round's feedback
and the export download.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from elicitation.models import AreaResponse, Expert, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round, rate_everything, translate_into_chinese

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
ORIGINAL = "核查机制是建立互信的前提。"
TRANSLATION = "Verification is the precondition for mutual trust."
MARK = "Translated into English by the study's coordinators:"


def sign_in(expert: Expert) -> Client:
    client = Client()
    client.get(f"/e/{token_issue(expert=expert)}/")
    client.post("/e/consent/", {"consent": "yes"})
    return client


@pytest.fixture
def bilingual_round(study_a: Study) -> tuple[Study, Round, Expert, Expert]:
    """Study A in English and Chinese: E-01 answers in Chinese, E-02 in English; round 1 open and rated."""
    Study.objects.filter(pk=study_a.pk).update(languages=["en", "zh-hans"], feedback_timing=Study.FeedbackTiming.BEFORE)
    study_a.refresh_from_db()
    translate_into_chinese(study_a)  # round 1 opens only once its texts are in Chinese too (bilingual parity)
    Expert.objects.filter(study=study_a, number=1).update(language="zh-hans")
    chinese, english = study_a.experts.order_by("number")[:2]
    first = make_round(study_a, status=Round.Status.OPEN)
    rate_everything(first)
    return study_a, first, chinese, english


def write_rationale(expert: Expert, round_: Round, area_id: int, text: str) -> None:
    response = sign_in(expert).post(f"/e/round/{round_.uuid}/save/", {f"rationale-{area_id}": text}, **HTMX)
    assert response.status_code == 200


def translate(client: Client, response: AreaResponse, **data: str) -> Any:
    kwargs = {"study_uuid": response.round.study.uuid, "round_uuid": response.round.uuid, "response_id": response.pk}
    return client.post(reverse("round-moderation-translate", kwargs=kwargs), data)


def close(round_: Round) -> None:
    round_close(round=round_, user=None)


def test_a_rationale_records_the_language_its_expert_writes_in(bilingual_round):
    _study, first, chinese, english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    write_rationale(english, first, area_id, "Trust needs checks.")
    languages = dict(AreaResponse.objects.filter(round=first).values_list("expert__number", "rationale_language"))
    assert languages == {1: "zh-hans", 2: "en"}


def test_the_translation_is_shown_beside_the_original_and_both_are_exported(bilingual_round, client, coordinator_a):
    study, first, chinese, english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    response = AreaResponse.objects.get(round=first, expert=chinese, area_id=area_id)
    client.force_login(coordinator_a)
    page = client.get(reverse("round-moderation", args=[study.uuid, first.uuid])).content.decode()
    assert "Written in Simplified Chinese." in page
    assert translate(client, response, translation=TRANSLATION, language="en").status_code == 303
    page = client.get(reverse("round-moderation", args=[study.uuid, first.uuid])).content.decode()
    assert "Coordinators' translation into English · by alice" in page
    assert TRANSLATION in page

    close(first)
    second = make_round(study, status=Round.Status.OPEN)
    english_page = sign_in(english).get("/e/round/").content.decode()
    assert ORIGINAL in english_page  # the original is always shown
    assert MARK in english_page
    assert english_page.index(ORIGINAL) < english_page.index(MARK) < english_page.index(TRANSLATION)
    chinese_page = sign_in(chinese).get("/e/round/").content.decode()
    assert ORIGINAL in chinese_page
    assert TRANSLATION not in chinese_page  # written in the reader's language: nothing to translate
    assert second.status == Round.Status.OPEN

    export = client.get(f"/studies/{study.uuid}/exports/download/", {"table": "rationales_moderated", "format": "csv"})
    frame = pd.read_csv(io.BytesIO(b"".join(export.streaming_content)), dtype=str, keep_default_na=False)
    row = frame[frame["rationale"] == ORIGINAL].iloc[0]
    assert (row["rationale_language"], row["translation"], row["translation_language"]) == (
        "zh-hans",
        TRANSLATION,
        "en",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"translation": "同一种语言", "language": "zh-hans"}, "language"),  # the original's own language
        ({"translation": "Auf Deutsch", "language": "de"}, "language"),  # not a language of the study
        ({"translation": "Too long a code", "language": "x" * 11}, "language"),  # refused by the form
        ({"translation": "x" * 4001, "language": "en"}, "translation"),
        ({"translation": "a\x00b", "language": "en"}, "translation"),
    ],
)
def test_a_bad_translation_is_a_400_that_says_why_and_saves_nothing(
    bilingual_round, client, coordinator_a, data, field
):
    study, first, chinese, _english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    response = AreaResponse.objects.get(round=first, expert=chinese, area_id=area_id)
    client.force_login(coordinator_a)
    refused = translate(client, response, **data)
    assert refused.status_code == 400
    assert f"<li>{field}: " in refused.content.decode()
    response.refresh_from_db()
    assert (response.translation, response.translation_language, response.translated_by) == ("", "", None)
    assert study.audit_events.filter(action="rationale.translated").count() == 0


def test_rewriting_a_translated_rationale_drops_the_stale_translation(bilingual_round, client, coordinator_a):
    _study, first, chinese, _english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    response = AreaResponse.objects.get(round=first, expert=chinese, area_id=area_id)
    client.force_login(coordinator_a)
    translate(client, response, translation=TRANSLATION, language="en")
    write_rationale(chinese, first, area_id, "我改变了看法。")
    response.refresh_from_db()
    assert (response.rationale, response.rationale_language) == ("我改变了看法。", "zh-hans")
    assert (response.translation, response.translation_language, response.translated_at) == ("", "", None)


def test_an_empty_translation_removes_it_and_both_changes_are_audited(bilingual_round, client, coordinator_a):
    study, first, chinese, _english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    response = AreaResponse.objects.get(round=first, expert=chinese, area_id=area_id)
    client.force_login(coordinator_a)
    translate(client, response, translation=TRANSLATION, language="en")
    assert translate(client, response, translation="  ", language="en").status_code == 303
    response.refresh_from_db()
    assert (response.translation, response.translation_language, response.translated_by) == ("", "", None)
    actions = list(study.audit_events.filter(action__startswith="rationale.").values_list("action", "detail"))
    assert actions == [
        ("rationale.translated", {"response_id": response.pk, "language": "en", "replaced": False}),
        ("rationale.translation_removed", {"response_id": response.pk, "language": "", "replaced": True}),
    ]


def test_only_the_studys_coordinators_can_translate(bilingual_round, client, coordinator_b):
    _study, first, chinese, _english = bilingual_round
    area_id = first.items.all()[0].area_id
    write_rationale(chinese, first, area_id, ORIGINAL)
    response = AreaResponse.objects.get(round=first, expert=chinese, area_id=area_id)
    client.force_login(coordinator_b)
    assert translate(client, response, translation=TRANSLATION, language="en").status_code == 404
    response.refresh_from_db()
    assert response.translation == ""
