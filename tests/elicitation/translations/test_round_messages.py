"""The round's message per language, what changed, the sender, and the preview of what each group receives."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Round
from elicitation.rounds.services.invitations import invitation_deliver
from elicitation.rounds.services.lifecycle import round_open, round_set_items
from elicitation.rounds.services.messages import email_preview, round_set_messages
from elicitation.rounds.services.planning import area_reword
from tests.factories import make_bilingual_study, make_experts, make_round

pytestmark = pytest.mark.django_db

MESSAGE = {"en": "Thank you for round 1. Two items were dropped.", "zh-hans": "感谢您参加第一轮。有两个条目不再询问。"}


@pytest.fixture
def study(coordinator_a):
    study = make_bilingual_study(
        coordinator=coordinator_a, sender_name="Delphi office", contact_email="team@example.org"
    )
    make_experts(study, 2, language="en")
    make_experts(study, 2, language="zh-hans")
    return study


@pytest.fixture
def second_round(study, coordinator_a):
    """Round 1 closed; round 2 drops two items of verification and rewords infrastructure in both languages."""
    make_round(study, status=Round.Status.CLOSED)
    draft = make_round(study)
    verification = study.areas.get(code="verification")
    dropped = set(
        verification.round_items.filter(round=draft, criterion__code__in=["R1", "R2"]).values_list(
            "area_id", "criterion_id"
        )
    )
    round_set_items(round=draft, items=set(draft.items.values_list("area_id", "criterion_id")) - dropped, user=None)
    area_reword(
        area=study.areas.get(code="infrastructure"),
        user=coordinator_a,
        title="Shared infrastructure",
        description="About Infrastructure.",
        translations={"zh-hans": {"title": "共建基础设施", "description": "关于基础设施。"}},
    )
    round_set_messages(round=draft, user=coordinator_a, messages=MESSAGE)
    return round_open(round=draft, user=coordinator_a, deadline=timezone.now() + dt.timedelta(days=7))


def deliver_to(round_, language):
    expert = round_.study.experts.filter(language=language).first()
    round_.participations.update(invited_at=None)
    assert invitation_deliver(round_id=round_.pk, expert_id=expert.pk)
    return mail.outbox[-1]


def test_the_chinese_invitation_has_the_chinese_message_and_changes_only(second_round):
    message = deliver_to(second_round, "zh-hans")
    body = message.body
    assert MESSAGE["zh-hans"] in body
    assert MESSAGE["en"] not in body
    assert "共建基础设施" in body
    assert "核查机制: 推进危险能力" in body
    assert "核查机制: 共享敏感信息" in body
    assert "Verification" not in body
    assert "No longer asked" not in body  # the email's own words are translated too
    assert body.count("您的回答是匿名的") == 1


def test_the_english_invitation_lists_what_changed_and_the_sender(second_round):
    message = deliver_to(second_round, "en")
    assert MESSAGE["en"] in message.body
    assert 'Reworded: "Infrastructure" is now "Shared infrastructure"' in message.body
    assert "No longer asked: Verification mechanisms: Advancing dangerous capabilities" in message.body
    assert message.from_email.startswith("Delphi office <")
    assert message.reply_to == ["team@example.org"]
    assert "team@example.org" in message.body
    assert message.body.count("Your answers are anonymous") == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_preview_is_exactly_what_the_language_group_receives(second_round, language):
    preview = email_preview(round_=second_round, language=language)
    sent = deliver_to(second_round, language)
    link = next(line for line in sent.body.splitlines() if "/e/" in line)
    expected = sent.body.replace(link.strip(), "https://…/e/…/")
    name = second_round.study.experts.filter(language=language).first().name
    greeting_sent = expected.splitlines()[0]
    assert preview.text.splitlines()[1:] == expected.splitlines()[1:]
    assert name in greeting_sent  # only the greeting and the link are each expert's own
    assert preview.subject == sent.subject


def test_the_preview_page_shows_each_language(client, coordinator_a, second_round):
    client.force_login(coordinator_a)
    url = reverse("round-preview", kwargs={"study_uuid": second_round.study.uuid, "round_uuid": second_round.uuid})
    html = client.get(url, {"language": "zh-hans"}).content.decode()
    assert MESSAGE["zh-hans"] in html
    assert "简体中文" in html
    assert client.get(url, {"language": "fr"}).status_code == 404


def test_a_message_written_in_one_language_only_blocks_the_round(study, coordinator_a):
    draft = make_round(study)
    round_set_messages(round=draft, user=coordinator_a, messages={"en": "Welcome.", "zh-hans": ""})
    with pytest.raises(IllegalTransition, match="Round 1: the message to experts has no 简体中文 version"):
        round_open(round=draft, user=coordinator_a, deadline=timezone.now() + dt.timedelta(days=7))


def test_the_message_form_saves_through_the_page(client, coordinator_a, study):
    draft = make_round(study)
    client.force_login(coordinator_a)
    url = reverse("round-messages", kwargs={"study_uuid": study.uuid, "round_uuid": draft.uuid})
    response = client.post(url, {"message_en": "Hello.", "message_zh-hans": "你好。"})
    assert response.status_code == 303
    draft.refresh_from_db()
    assert draft.messages == {"en": "Hello.", "zh-hans": "你好。"}


def test_a_too_long_message_is_refused(study, coordinator_a):
    with pytest.raises(InvalidInput) as refused:
        round_set_messages(round=make_round(study), user=coordinator_a, messages={"en": "x" * 5001})
    assert "message_en" in refused.value.field_errors


def test_the_expert_form_shows_the_message_in_the_experts_language(client, second_round):
    expert = second_round.study.experts.filter(language="zh-hans").first()
    expert.consented_at = timezone.now()
    expert.save()
    from elicitation.setup.services.tokens import token_issue

    client.get(f"/e/{token_issue(expert=expert)}/")
    html = client.get("/e/round/").content.decode()
    assert MESSAGE["zh-hans"] in html
    assert MESSAGE["en"] not in html
