"""Erasing an expert's personal data: gone from the row, the pages and the history; answers and results kept."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from aggregation.models import ItemResult
from aggregation.selectors import shown_runs
from aggregation.services import round_aggregate
from core.errors import IllegalTransition
from elicitation.expert.services.answers import area_response_save
from elicitation.models import AnswerRevision, AreaResponse, AuditEvent, Expert, Rating, Round, Study, Suggestion
from elicitation.rounds.services.moderation import rationale_translate
from elicitation.setup.services.erasure import ERASED_TEXT, expert_erase
from elicitation.setup.services.tokens import token_find, token_issue
from tests.factories import make_round, rate_everything
from tests.security.pages import coordinator_urls

NAME = "Zhang Wei-Ling"
EMAIL = "zhang.weiling@tsinghua.example"
SECRET_TEXT = "As the head of the Zhang lab I know our cluster has 4,000 GPUs."


def _result_rows(round_: Round) -> list[tuple]:
    fields = [f.name for f in ItemResult._meta.concrete_fields if f.name not in {"id", "run"}]
    return sorted(ItemResult.objects.filter(run_id__in=shown_runs([round_.pk])).values_list(*fields), key=repr)


@pytest.fixture
def expert(study_a: Study) -> Expert:
    chosen = study_a.experts.order_by("number")[2]
    Expert.objects.filter(pk=chosen.pk).update(
        name=NAME, email=EMAIL, email_key=EMAIL, time_zone="Asia/Shanghai", expertise={"verification": 5}
    )
    chosen.refresh_from_db()
    return chosen


@pytest.fixture
def history(study_a: Study, expert: Expert) -> tuple[Round, Round]:
    """Round 1 closed and rated by all; round 2 open with this expert's rationale written twice, a suggestion."""
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    second = make_round(study_a, status=Round.Status.OPEN)
    rate_everything(second)
    area = study_a.areas.order_by("order").first()
    assert area is not None
    area_response_save(expert=expert, round_id=second.pk, area_id=area.pk, confidence=4, rationale="first draft")
    area_response_save(expert=expert, round_id=second.pk, area_id=area.pk, confidence=5, rationale=SECRET_TEXT)
    Suggestion.objects.create(round=second, expert=expert, text=f"{SECRET_TEXT} Also: {EMAIL}")
    return first, second


@pytest.mark.django_db
def test_it_blanks_the_personal_fields_and_keeps_the_pseudonym(coordinator_a, expert, history):
    erased = expert_erase(expert=expert, user=coordinator_a)

    row = Expert.objects.get(pk=expert.pk)
    assert (row.name, row.email, row.time_zone, row.expertise) == ("", "", "", {})
    assert row.email_key == f"erased:{expert.uuid}"
    assert row.erased_at is not None
    assert not row.is_active
    assert (row.number, row.bloc, row.sector, row.language) == (
        expert.number,
        expert.bloc,
        expert.sector,
        expert.language,
    )
    assert erased.pseudonym == expert.pseudonym


@pytest.mark.django_db
def test_two_erased_experts_of_one_study_keep_the_unique_email_constraint(coordinator_a, study_a):
    first, second = study_a.experts.order_by("number")[:2]
    expert_erase(expert=first, user=coordinator_a)
    expert_erase(expert=second, user=coordinator_a)
    assert Expert.objects.filter(study=study_a, erased_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_no_row_of_the_database_keeps_the_name_or_email_or_text(coordinator_a, expert, history):
    response = AreaResponse.objects.get(expert=expert)
    rationale_translate(response=response, user=coordinator_a, text="GPU 集群有 4,000 GPUs。", language="zh-hans")
    expert_erase(expert=expert, user=coordinator_a)

    expert_row = str(list(Expert.objects.filter(pk=expert.pk).values()))
    audit_rows = str(list(AuditEvent.objects.values()))
    texts = str(list(AreaResponse.objects.filter(expert=expert).values("rationale", "translation")))
    texts += str(list(Suggestion.objects.filter(expert=expert).values("text")))
    texts += str(list(AnswerRevision.objects.filter(expert=expert).values("old_value", "new_value")))
    for secret in (NAME, EMAIL, "zhang", "first draft", "4,000 GPUs"):
        assert secret.casefold() not in expert_row.casefold()
        assert secret.casefold() not in audit_rows.casefold()
        assert secret.casefold() not in texts.casefold()
    assert AreaResponse.objects.get(expert=expert).rationale == ERASED_TEXT
    assert AreaResponse.objects.filter(expert=expert, translation="", translation_language="").exists()
    assert Suggestion.objects.get(expert=expert).text == ERASED_TEXT


@pytest.mark.django_db
def test_the_history_stays_consistent_and_records_the_erasure(coordinator_a, expert, history):
    _first, second = history
    before = AnswerRevision.objects.filter(expert=expert).count()
    expert_erase(expert=expert, user=coordinator_a)

    revisions = list(AnswerRevision.objects.filter(expert=expert, field="rationale").order_by("created_at", "id"))
    assert len(revisions) == 3
    assert AnswerRevision.objects.filter(expert=expert).count() == before + 1
    assert [(r.old_value, r.new_value, r.source) for r in revisions] == [
        (None, ERASED_TEXT, "web"),
        (ERASED_TEXT, ERASED_TEXT, "web"),
        (ERASED_TEXT, ERASED_TEXT, "system"),
    ]
    # Replaying the history ends at the current text.
    assert revisions[-1].new_value == AreaResponse.objects.get(expert=expert, round=second).rationale
    confidences = AnswerRevision.objects.filter(expert=expert, field="confidence").values_list("new_value", flat=True)
    assert sorted(confidences, key=str) == ["4", "5"]


@pytest.mark.django_db
def test_ratings_confidences_and_aggregates_do_not_change(coordinator_a, expert, history):
    first, second = history
    ratings_before = sorted(
        Rating.objects.filter(expert=expert).values_list("round_id", "area_id", "criterion_id", "value")
    )
    round_aggregate(round_id=first.pk)
    round_aggregate(round_id=second.pk)
    results_before = (_result_rows(first), _result_rows(second))
    assert results_before[0]
    assert results_before[1]

    expert_erase(expert=expert, user=coordinator_a)
    round_aggregate(round_id=first.pk)
    round_aggregate(round_id=second.pk)

    assert (_result_rows(first), _result_rows(second)) == results_before
    ratings_after = sorted(
        Rating.objects.filter(expert=expert).values_list("round_id", "area_id", "criterion_id", "value")
    )
    assert ratings_after == ratings_before
    assert AreaResponse.objects.get(expert=expert).confidence == 5


@pytest.mark.django_db
def test_every_link_dies(coordinator_a, expert):
    secrets = [token_issue(expert=expert) for _ in range(2)]
    expert_erase(expert=expert, user=coordinator_a)
    assert [token_find(secret=s) for s in secrets] == [None, None]
    assert not expert.tokens.filter(revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_it_is_audited_without_personal_data(coordinator_a, expert, history):
    token_issue(expert=expert)
    expert_erase(expert=expert, user=coordinator_a)
    event = AuditEvent.objects.get(action="expert.erased")
    assert event.actor_user == coordinator_a
    assert event.target == expert.pseudonym
    assert event.detail == {
        "pseudonym": expert.pseudonym,
        "links_revoked": 1,
        "rationales": 1,
        "suggestions": 1,
        "revision_texts_redacted": 3,
    }


@pytest.mark.django_db
def test_erasing_twice_is_refused(coordinator_a, expert):
    expert_erase(expert=expert, user=coordinator_a)
    with pytest.raises(IllegalTransition):
        expert_erase(expert=expert, user=coordinator_a)
    assert AuditEvent.objects.filter(action="expert.erased").count() == 1


@pytest.mark.django_db
def test_no_coordinator_page_shows_the_name_or_email_afterwards(client: Client, coordinator_a, expert, history):
    client.force_login(coordinator_a)
    urls = coordinator_urls(expert.study, expert=expert)
    before = "".join(client.get(url).content.decode() for url in urls)
    assert NAME in before
    assert EMAIL in before

    expert_erase(expert=expert, user=coordinator_a)
    for url in urls:
        response = client.get(url, follow=True)
        body = response.content.decode()
        for secret in (NAME, EMAIL, SECRET_TEXT):
            assert secret not in body, url


@pytest.mark.django_db
def test_the_command_erases_by_pseudonym(coordinator_a, expert):
    call_command("erase_expert", str(expert.study.uuid), expert.pseudonym.lower())
    expert.refresh_from_db()
    assert expert.erased_at is not None
    assert expert.email == ""
    assert AuditEvent.objects.get(action="expert.erased").actor_user is None


@pytest.mark.django_db
def test_the_command_refuses_unknown_studies_and_experts(study_a, study_b):
    with pytest.raises(CommandError, match="No study"):
        call_command("erase_expert", "not-a-uuid", "E-01")
    with pytest.raises(CommandError, match="No expert"):
        call_command("erase_expert", str(study_a.uuid), "E-99")
    with pytest.raises(CommandError, match="No expert"):
        call_command("erase_expert", str(study_a.uuid), "nonsense")
    assert not Expert.objects.filter(erased_at__isnull=False).exists()


@pytest.mark.services
@pytest.mark.django_db
def test_postgresql_lets_only_the_redaction_of_an_erased_experts_rationale_through(coordinator_a, expert, history):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    other = Expert.objects.exclude(pk=expert.pk).filter(study=expert.study).first()
    assert other is not None
    AnswerRevision.objects.create(
        round=history[1],
        expert=other,
        area=expert.study.areas.first(),
        field="rationale",
        new_value="mine",
        source="web",
    )
    table = "UPDATE elicitation_answerrevision SET "
    refused = [
        (table + "new_value = %s WHERE expert_id = %s", [ERASED_TEXT, expert.pk]),  # not erased yet
        (table + "new_value = %s WHERE expert_id = %s", [ERASED_TEXT, other.pk]),  # another expert's text
    ]
    _all_refused(refused)
    expert_erase(expert=expert, user=coordinator_a)
    _all_refused(
        [
            (table + "new_value = %s WHERE expert_id = %s", ["rewritten", expert.pk]),
            (table + "created_at = now() WHERE expert_id = %s", [expert.pk]),
            (table + "new_value = %s WHERE expert_id = %s AND field = 'confidence'", [ERASED_TEXT, expert.pk]),
            ("DELETE FROM elicitation_answerrevision WHERE expert_id = %s", [expert.pk]),
        ]
    )
    assert AnswerRevision.objects.filter(expert=other, new_value="mine").exists()


def _all_refused(statements: list[tuple[str, list[int | str]]]) -> None:
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
