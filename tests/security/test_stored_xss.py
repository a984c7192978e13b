"""Stored XSS: payloads in every free-text field, rendered by every coordinator page and every email.

Each field gets a payload tagged with its name. Every page of the study and rounds URL modules (and
the study list and forms re-shown with errors) is parsed: no payload may become a tag, an event
handler, a javascript: URL or an evaluated template. The plain-text email parts must show the
payload as written (no HTML entities), the HTML parts must escape it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from elicitation.models import AnswerRevision, AreaResponse, AreaRevision, Expert, Round, Study, Suggestion
from elicitation.rounds.services.invitations import invitation_deliver, reminder_deliver
from tests.factories import make_round, make_user
from tests.security.pages import coordinator_urls
from tests.security.xss import html_findings, payload, text_findings

pytestmark = pytest.mark.django_db

P = payload


@pytest.fixture
def hostile_study() -> tuple[Study, Expert]:
    coordinator = make_user("xss-coordinator")
    from tests.factories import add_member, make_study

    study = make_study(
        coordinator=coordinator,
        title=P("study-title")[:200],
        question=P("study-question"),
        introduction=P("study-introduction") + "\n\n" + P("study-introduction-2"),
        blocs=[P("bloc-1")[:100], "China"],
        sectors=[P("sector-1")[:100], "Academia"],
    )
    # A team member whose user name is hostile (the admin's user form validates names; the database does not).
    add_member(study, make_user(P("member-name")[:150]), "analyst")
    for index, area in enumerate(study.areas.all()):
        area.title = P(f"area-title-{index}")[:200]
        area.description = P(f"area-description-{index}")
        area.translations = {"zh-hans": {"title": P(f"area-zh-{index}")[:200], "description": P("area-zh-d")}}
        area.save()
    for index, criterion in enumerate(study.criteria.all()):
        criterion.title = P(f"criterion-title-{index}")[:200]
        criterion.description = P(f"criterion-description-{index}")
        criterion.label_min = P("label-min")[:200]
        criterion.label_max = P("label-max")[:200]
        criterion.translations = {
            "zh-hans": {
                key: P(f"criterion-zh-{key}")[:200] for key in ("title", "description", "label_min", "label_max")
            }
        }
        criterion.save()
    experts = [
        Expert.objects.create(
            study=study,
            number=number,
            email=f"expert{number}@example.org",
            name=P(f"expert-name-{number}")[:200],
            bloc=study.blocs[number % 2],
            sector=study.sectors[number % 2],
        )
        for number in range(1, 6)
    ]
    first_area = study.areas.order_by("order").first()
    assert first_area is not None
    AreaRevision.objects.create(
        area=first_area,
        round_number=2,
        old_title=P("revision-old")[:200],
        old_description=P("revision-old-d"),
        new_title=P("revision-new")[:200],
        new_description=P("revision-new-d"),
        changed_by=coordinator,
    )
    round_ = make_round(study, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=3))
    for expert in experts:
        AreaResponse.objects.create(
            round=round_, expert=expert, area=first_area, confidence=3, rationale=P("rationale")
        )
        AnswerRevision.objects.create(
            round=round_, expert=expert, area=first_area, field="rationale", new_value=P("revision"), source="web"
        )
        Suggestion.objects.create(round=round_, expert=expert, text=P("suggestion"))
    return study, experts[0]


def _pages(client: Client, study: Study, expert: Expert) -> dict[str, str]:
    urls = [reverse("study-list"), reverse("study-create"), *coordinator_urls(study, expert=expert)]
    pages = {}
    for url in urls:
        for language in ("en", "zh-hans"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code == 405:
                continue  # POST-only endpoints render nothing on GET
            # 409: a page refusing in this state (planning an open round) still shows the study's text.
            assert response.status_code in {200, 302, 409}, (url, response.status_code)
            if response.status_code in {200, 409} and response["Content-Type"].startswith("text/html"):
                pages[f"{url} [{language}]"] = response.content.decode()
    return pages


def test_no_coordinator_page_turns_a_payload_into_markup(client: Client, hostile_study):
    study, expert = hostile_study
    client.force_login(study.coordinators.get())
    pages = _pages(client, study, expert)
    assert len(pages) >= 20
    seen = "".join(pages.values())
    # The sweep reaches the fields (escaped): titles, descriptions, names, blocs, labels, translations.
    for tag in ("study-title", "area-title-0", "area-description-0", "criterion-title-0", "expert-name-1", "bloc-1"):
        assert tag in seen, tag
    findings = {url: found for url, html in pages.items() if (found := html_findings(html))}
    assert findings == {}


def test_forms_re_shown_with_errors_escape_what_was_typed(client: Client, hostile_study):
    study, expert = hostile_study
    client.force_login(study.coordinators.get())
    kwargs = {"study_uuid": study.uuid}
    table = io.StringIO()
    csv.writer(table).writerows(
        [["email", "name", "bloc", "sector", "language"], ["bad", P("import-name"), P("import-bloc"), "", "xx"]]
    )
    upload = SimpleUploadedFile("panel.csv", table.getvalue().encode(), "text/csv")

    responses = {
        "settings": client.post(
            reverse("study-settings", kwargs=kwargs), {"title": P("typed-title"), "min_group_size": "x"}
        ),
        "expert": client.post(
            reverse("expert-create", kwargs=kwargs), {"email": P("typed-email"), "name": P("typed-name")}
        ),
        "area": client.post(
            reverse("area-create", kwargs=kwargs), {"code": P("typed-code"), "title": P("typed-title")}
        ),
        "import": client.post(reverse("study-panel-import", kwargs=kwargs), {"file": upload}),
        "erase": client.post(
            reverse("expert-erase", kwargs={**kwargs, "expert_uuid": expert.uuid}), {"pseudonym": P("typed")[:20]}
        ),
    }
    for name, response in responses.items():
        assert response.status_code in {400, 409}, name
        assert html_findings(response.content.decode()) == [], name
    shown = responses["import"].content.decode()
    assert "Unknown bloc" in shown
    assert "bloc-1" in shown  # the study's own bloc names, listed in the problem


def test_emails_show_payloads_as_text_and_escape_them_in_html(hostile_study):
    study, expert = hostile_study
    round_ = study.rounds.get()
    for language in ("en", "zh-hans"):
        Expert.objects.filter(pk=expert.pk).update(language=language)
        mail.outbox.clear()
        assert invitation_deliver(round_id=round_.pk, expert_id=expert.pk, resend=True)
        participation = round_.participations.get(expert=expert)
        assert reminder_deliver(participation_id=participation.pk, not_reminded_since=timezone.now())
        assert len(mail.outbox) == 2
        for number, message in enumerate(mail.outbox):
            assert "study-title" in message.subject
            assert text_findings(str(message.subject)) == []
            assert "\n" not in message.subject
            assert "study-title<script>" in message.body  # shown as written: it is plain text
            assert text_findings(str(message.body)) == []
            html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]
            assert mimetype == "text/html"
            if number == 0:  # the invitation carries the study's introduction
                assert "study-introduction" in str(html)
            assert html_findings(str(html)) == []


def test_the_checker_itself_finds_unescaped_payloads():
    raw = f"<p>{P('x')}</p><a href='javascript:alert(1)'>a</a>"
    found = html_findings(raw)
    assert any("script" in f for f in found)
    assert any("onerror" in f for f in found)
    assert any("onload" in f for f in found)
    assert any("javascript:" in f for f in found)
    assert (
        html_findings("<p>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>") == []
    )
    assert text_findings("Invitation: &lt;script&gt;") != []
