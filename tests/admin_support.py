"""The operator's admin in tests: its visitors, and a study with a row of every kind the admin lists."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission, User

from aggregation.models import AggregationRun
from aggregation.services import round_aggregate
from api.models import ApiToken
from api.services import api_token_create
from elicitation.expert.services.answers import AnswerInput, answers_save, round_submit
from elicitation.models import EmailJob, Expert, PilotResponse, Round, Study
from elicitation.rounds.services.email_jobs import email_jobs_queue
from elicitation.setup.services.reuse import template_save
from elicitation.setup.services.tokens import token_issue
from exports.models import ExportJob
from tests.conftest import client_for  # noqa: F401 - the admin tests import it from here too
from tests.factories import make_experts, make_round, make_study, make_user

ADMIN_MODELS = (
    "elicitation.study",
    "elicitation.expert",
    "elicitation.invitationtoken",
    "elicitation.round",
    "elicitation.rating",
    "elicitation.answerrevision",
    "elicitation.auditevent",
    "elicitation.emailjob",
    "aggregation.aggregationrun",
    "aggregation.itemresult",
    "aggregation.criterionagreement",
    "aggregation.crossbloc",
    "aggregation.areaverdict",
    "exports.exportjob",
    "api.apitoken",
    "elicitation.studymember",
    "elicitation.savedtemplate",
    "elicitation.pilotresponse",
)


@pytest.fixture
def superuser(db: None) -> User:
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_member(db: None) -> User:
    """Staff without a single permission: the admin's front page, and nothing else."""
    return make_user("staffer", is_staff=True)


@pytest.fixture
def viewer(db: None) -> User:
    """Staff allowed to view every model of the admin, and to change (act on) none."""
    user = make_user("viewer", is_staff=True)
    codenames = [f"view_{label.split('.')[1]}" for label in ADMIN_MODELS]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@dataclass
class Filled:
    study: Study
    round: Round
    experts: list[Expert]
    run: AggregationRun
    job: ExportJob
    token: ApiToken
    email: EmailJob


def fill_study(
    *, experts: int, title: str = "Admin study", coordinator: User | None = None, anonymity: str = "standard"
) -> Filled:
    """A study whose open round every expert answered through the service (ratings, revisions, audit events),
    with a personal link per expert, an aggregation run with its result rows, an export job, an API token and
    an email job (a new link for the first expert)."""
    coordinator = coordinator or make_user()
    study = make_study(coordinator=coordinator, title=title, anonymity=anonymity)
    panel = make_experts(study, experts)
    round_ = make_round(study, status=Round.Status.OPEN)
    items = list(round_.items.all())
    for index, expert in enumerate(panel):
        token_issue(expert=expert)
        answers = [
            AnswerInput(area_id=item.area_id, criterion_id=item.criterion_id, value=1 + (index + n) % 9)
            for n, item in enumerate(items)
        ]
        answers_save(expert=expert, round_id=round_.pk, answers=answers)
        round_submit(expert=expert, round_id=round_.pk)  # results count submitted answers only
    run = round_aggregate(round_id=round_.pk)
    job = ExportJob.objects.create(
        study=study, requested_by=coordinator, format=ExportJob.Format.CSV, table=ExportJob.Table.RATINGS
    )
    token, _secret = api_token_create(user=coordinator, name=f"{title} laptop")
    (email,) = email_jobs_queue(kind=EmailJob.Kind.NEW_LINK, expert_ids=[panel[0].pk])
    template_save(study=study, user=coordinator, title=f"{title} template")
    PilotResponse.objects.create(round=round_, tester=coordinator, tester_label="A colleague", language="en")
    return Filled(study=study, round=round_, experts=panel, run=run, job=job, token=token, email=email)
