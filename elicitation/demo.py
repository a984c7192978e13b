"""The demo study: the AI-safety template, a simulated panel of 30, two finished rounds and a draft third.

Ratings are simulated with a seeded random generator so every run gives the same
study: round 1 is spread out, round 2 converges toward the panel's view, a few
experts answer "cannot judge", and a few leave rationales (some in Chinese).
Between the rounds the coordinator rewords one area in both languages and drops one
item; both rounds are aggregated as they load, and round 3 is planned as a
coordinator would: the items that reached consensus in round 2 are not asked again.
Running it again leaves an existing demo study alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from elicitation.models import (
    AnswerRevision,
    Area,
    AreaResponse,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
    RoundItem,
    Study,
    Suggestion,
)
from elicitation.models.panel import email_key
from elicitation.rounds.services.planning import (
    area_reword,
    items_reached_consensus,
    preselect_continuing_items,
    round_plan_next,
)
from elicitation.setup.services.plan import plan_freeze
from elicitation.setup.services.studies import study_create

DEMO_USERNAME = "coordinator"
DEMO_PASSWORD = "coopsurvey-demo"  # noqa: S105 - the README's run command prints it on purpose
DEMO_TEMPLATE = "ai_safety_cooperation"
DEMO_TITLE = "Demo: cooperation between rivals in technical AI safety"
DEMO_TITLE_ZH = "演示：技术性人工智能安全领域的竞争对手合作"
SEED = 20230815
PANEL_SIZE = 30

# Where the simulated panel leans, per area and criterion (1–9), following the paper's findings. Under the
# template's rule (agreement at either end) round 2 shows every verdict: shared protocols promising (high
# benefits, risks agreed low), verification with safeguards (high benefits, information-sharing risk in
# the middle), infrastructure avoid (backdoors: R3 agreed high), evaluations no consensus yet.
CENTRES = {
    "verification": {"B1": 8.0, "B2": 8.2, "B3": 7.8, "R1": 2.5, "R2": 5.0, "R3": 4.0},
    "protocols": {"B1": 7.8, "B2": 8.0, "B3": 7.8, "R1": 1.5, "R2": 1.8, "R3": 1.8},
    "infrastructure": {"B1": 5.5, "B2": 5.0, "B3": 6.5, "R1": 3.5, "R2": 4.5, "R3": 8.2},
    "evaluations": {"B1": 6.0, "B2": 5.5, "B3": 5.5, "R1": 6.0, "R2": 7.5, "R3": 5.0},
}
# Items on which the blocs part ways: on evaluations' sensitive information (R2) the United States and China
# agree it is high while Europe and the rest agree it is low, a split along bloc lines whose bloc medians
# differ by about five points.
BLOC_CENTRES = {
    ("evaluations", "R2"): {"United States": 8.3, "China": 8.0, "Europe": 1.8, "Other": 2.0},
}
# A small lean per bloc on risks, so that subgroup feedback has something to show.
BLOC_RISK_LEAN = {"United States": 0.6, "China": 0.4, "Europe": -0.3, "Other": -0.4}
NAMES = [
    "Avery Johnson", "Maya Patel", "Daniel Kim", "Olivia Brooks", "Ethan Rivera", "Sofia Nguyen", "Noah Carter",
    "王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄婷",
    "Lena Schmidt", "Pierre Dubois", "Giulia Rossi", "Jan de Vries", "Ana García", "Mikael Lindqvist", "Zofia Nowak",
    "Amara Okafor", "Rahul Mehta", "ليلى حداد", "Kenji Tanaka", "Thandiwe Dlamini", "João Silva", "יעל כהן",
    "Hana Novák",
]  # fmt: skip
# Opened and started each round, saved some answers, never submitted: counted only under "all saved answers".
STARTED_NOT_SUBMITTED = 21
BLOCS = ["United States"] * 7 + ["China"] * 8 + ["Europe"] * 7 + ["Other"] * 8
RATIONALES = {
    ("verification", 0): "Hardware-enabled mechanisms let each side check claims without trusting the other.",
    ("verification", 8): "核查机制是建立互信的前提，但需要避免泄露芯片设计细节。",
    ("protocols", 2): "Incident-reporting formats are low-risk and useful for every lab.",
    ("protocols", 10): "共同的事件报告格式风险很低，值得优先推进。",
    ("infrastructure", 4): "Shared tooling invites backdoors; every component would need independent audit.",
    ("evaluations", 16): "Dangerous-capability evaluations touch national-security information.",
    ("evaluations", 12): "评估方法可以共享，但具体测试结果涉及敏感信息。",
}

# The template asks evaluation science apart from dangerous-capability evaluations, and M1: how far
# safeguards could reduce each area's risks (high where the paper sees manageable risks).
CENTRES["evaluation-science"] = {"B1": 6.5, "B2": 6.0, "B3": 7.0, "R1": 3.5, "R2": 2.5, "R3": 2.0}
MITIGABILITY_CENTRES = {
    "verification": 8.0, "protocols": 7.5, "infrastructure": 3.0, "evaluation-science": 7.5, "evaluations": 5.0,
}  # fmt: skip
for _code, _centre in MITIGABILITY_CENTRES.items():
    CENTRES[_code]["M1"] = _centre

SUGGESTIONS = [
    (1, "Joint incident database for AI failures and near misses"),
    (9, "共享的红队测试方法与基准"),
    (18, "Interpretability research on open-weight models"),
]
OFF_TOPIC = "Contact me at my personal address to discuss consulting work."
# Between rounds 1 and 2 the coordinator rewords one area in both languages and drops one item.
REWORDED = {
    "code": "infrastructure",
    "title": "Shared safety infrastructure",
    "description": (
        "Jointly building and running the tools that safety work relies on, such as testing platforms, "
        "logging and identification of AI agents, and provenance tracing for models and content. "
        "Reworded after round 1: several experts read “infrastructure” as data centres."
    ),
    "zh-hans": {
        "title": "共同的安全基础设施",
        "description": "共同建设和运行安全工作所依赖的工具，例如测试平台、人工智能智能体的日志记录与身份识别，"
        "以及模型和内容的来源追溯。第一轮后改写：多位专家把“基础设施”理解为数据中心。",
    },
}
DROPPED = ("evaluation-science", "B2")  # (area code, criterion code): asked in round 1 only


@dataclass
class DemoResult:
    study: Study
    created: bool
    username: str
    password: str


def ensure_demo_user() -> User:
    user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def find_demo_study(user: User) -> Study | None:
    return Study.objects.filter(
        template=DEMO_TEMPLATE, title=DEMO_TITLE, memberships__user=user, memberships__role="coordinator"
    ).first()


def load_demo() -> DemoResult:
    """Create the demo coordinator and demo study; an existing demo study is left as it is."""
    user = ensure_demo_user()
    existing = find_demo_study(user)
    if existing is not None:
        return DemoResult(study=existing, created=False, username=DEMO_USERNAME, password=DEMO_PASSWORD)
    from aggregation.models import AggregationRun
    from aggregation.services import round_aggregate

    with transaction.atomic():
        study = _build(user)
    closed = list(study.rounds.filter(status=Round.Status.CLOSED).order_by("number"))
    for round_ in closed:  # here and now, not queued: round 3 is planned from round 2's results
        round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.CLOSE)
    last = closed[-1]
    continuing = preselect_continuing_items(last, items_reached_consensus(last)) - _dropped_items(study)
    round_plan_next(closed_round=last, items=continuing, user=user)
    return DemoResult(study=study, created=True, username=DEMO_USERNAME, password=DEMO_PASSWORD)


def _build(user: User) -> Study:
    now = timezone.now()
    study = study_create(user=user, title=DEMO_TITLE, template_key=DEMO_TEMPLATE)
    study.end_date = now + timedelta(days=60)
    study.translations.setdefault("zh-hans", {})["title"] = DEMO_TITLE_ZH  # the demo's own title, not the template's
    study.save(update_fields=["end_date", "translations"])
    experts = _panel(study)
    rule = study.current_rule()
    plan_freeze(study=study, user=user, at=now - timedelta(days=42))  # as round 1 opening would
    areas = list(study.areas.filter(is_active=True))
    criteria = list(study.criteria.filter(is_active=True))
    every_item = {(a.code, c.code) for a in areas for c in criteria}
    rounds = []
    for number, (opened, closed) in enumerate([(42, 30), (24, 12)], start=1):
        if number == 2:  # the rewording is recorded for the round that first shows it
            _reword(study, user)
        round_ = Round.objects.create(
            study=study,
            number=number,
            status=Round.Status.CLOSED,
            opened_at=now - timedelta(days=opened),
            deadline=now - timedelta(days=closed),
            closed_at=now - timedelta(days=closed),
            consensus_rule=rule,
        )
        asked = every_item if number == 1 else every_item - {DROPPED}
        RoundItem.objects.bulk_create(
            RoundItem(round=round_, area=a, criterion=c) for a in areas for c in criteria if (a.code, c.code) in asked
        )
        rounds.append(round_)
    _simulate(rounds, experts, areas, criteria)
    _extras(rounds[0], experts, user)
    return study


def _dropped_items(study: Study) -> set[tuple[int, int]]:
    """The dropped item as (area id, criterion id): dropped for good, not offered again in round 3."""
    area, criterion = DROPPED
    pairs = RoundItem.objects.filter(round__study=study, area__code=area, criterion__code=criterion)
    return set(pairs.values_list("area_id", "criterion_id").distinct())


def _reword(study: Study, user: User) -> None:
    area = study.areas.get(code=REWORDED["code"])
    area_reword(
        area=area,
        user=user,
        title=str(REWORDED["title"]),
        description=str(REWORDED["description"]),
        translations={"zh-hans": dict(REWORDED["zh-hans"])},  # type: ignore[arg-type]
    )


def _panel(study: Study) -> list[Expert]:
    sectors = study.sectors
    experts = []
    for index, (name, bloc) in enumerate(zip(NAMES, BLOCS, strict=True)):
        number = index + 1
        email = f"expert{number:02d}@demo.example.org"
        experts.append(
            Expert(
                study=study,
                number=number,
                email=email,
                email_key=email_key(email),
                name=name,
                bloc=bloc,
                sector=sectors[index % len(sectors)],
                language="zh-hans" if bloc == "China" and index % 4 != 3 else "en",
                time_zone="Asia/Shanghai" if bloc == "China" else "",
                expertise={"verification": 1 + index % 5, "evaluations": 1 + (index * 3) % 5},
            )
        )
    return Expert.objects.bulk_create(experts)


def _extras(first_round: Round, experts: list[Expert], user: User) -> None:
    """Round-1 suggestions of new areas, and one off-topic rationale the coordinator hid."""
    assert first_round.closed_at is not None
    Suggestion.objects.bulk_create(
        Suggestion(round=first_round, expert=experts[index], text=text) for index, text in SUGGESTIONS
    )
    hidden = AreaResponse.objects.filter(round=first_round, expert=experts[3], area__code="protocols").first()
    if hidden is not None:
        AreaResponse.objects.filter(pk=hidden.pk).update(
            rationale=OFF_TOPIC, hidden_at=first_round.closed_at, hidden_by=user
        )
        AnswerRevision.objects.create(
            round=first_round,
            expert=experts[3],
            area=hidden.area,
            field=AnswerRevision.Field.RATIONALE,
            old_value="",
            new_value=OFF_TOPIC,
            source=AnswerRevision.Source.SYSTEM,
        )


def _simulate(rounds: list[Round], experts: list[Expert], areas: list[Area], criteria: list[Criterion]) -> None:
    rng = np.random.default_rng(SEED)
    previous: dict[tuple[int, int, int], int | None] = {}
    # Who submitted: everybody in round 1 but two; round 2 loses three more (attrition).
    submitted_by_round = [set(range(PANEL_SIZE)) - {5, 21}, set(range(PANEL_SIZE)) - {5, 21, 9, 17, 26}]
    ratings: list[Rating] = []
    responses: list[AreaResponse] = []
    revisions: list[AnswerRevision] = []
    participations: list[Participation] = []
    for round_index, round_ in enumerate(rounds):
        assert round_.opened_at is not None
        for index, expert in enumerate(experts):
            submitted = index in submitted_by_round[round_index]
            participations.append(
                Participation(
                    round=round_,
                    expert=expert,
                    invited_at=round_.opened_at,
                    opened_at=round_.opened_at + timedelta(hours=2 + index) if submitted or index == 21 else None,
                    started_at=round_.opened_at + timedelta(hours=3 + index) if submitted or index == 21 else None,
                    submitted_at=round_.opened_at + timedelta(days=3, hours=index) if submitted else None,
                    reminder_count=0 if index % 3 else 1,
                )
            )
            if not submitted:
                if index == STARTED_NOT_SUBMITTED:
                    saved = _saved_not_submitted(round_, expert, areas[0], criteria)
                    ratings.extend(saved)
                    revisions.extend(_first_revision(rating) for rating in saved)
                continue
            lean = BLOC_RISK_LEAN.get(expert.bloc, 0.0)
            for area in areas:
                for criterion in criteria:
                    if round_index > 0 and (area.code, criterion.code) == DROPPED:
                        continue
                    by_bloc = BLOC_CENTRES.get((area.code, criterion.code), {})
                    centre = by_bloc.get(expert.bloc, CENTRES[area.code][criterion.code])
                    centre += lean if criterion.kind == "risk" and not by_bloc else 0.0
                    key = (expert.pk, area.pk, criterion.pk)
                    if round_index == 0:
                        value = None if rng.random() < 0.04 else _clip(centre + rng.normal(0, 1.8))
                    else:
                        before = previous.get(key)
                        base = centre if before is None else 0.45 * before + 0.55 * centre
                        value = _clip(base + rng.normal(0, 0.7))
                    previous[key] = value
                    ratings.append(
                        Rating(
                            round=round_,
                            expert=expert,
                            area=area,
                            criterion=criterion,
                            value=value,
                            cannot_judge=value is None,
                        )
                    )
                    revisions.append(
                        AnswerRevision(
                            round=round_,
                            expert=expert,
                            area=area,
                            criterion=criterion,
                            field=AnswerRevision.Field.VALUE,
                            old_value=None,
                            new_value=None if value is None else str(value),
                            source=AnswerRevision.Source.SYSTEM,
                        )
                    )
                confidence = int(rng.integers(2, 6))
                rationale = RATIONALES.get((area.code, index), "") if round_index == 0 else ""
                responses.append(
                    AreaResponse(
                        round=round_,
                        expert=expert,
                        area=area,
                        confidence=confidence,
                        rationale=rationale,
                        rationale_language=expert.language if rationale else "",
                    )
                )
                revisions.append(
                    AnswerRevision(
                        round=round_,
                        expert=expert,
                        area=area,
                        field=AnswerRevision.Field.CONFIDENCE,
                        new_value=str(confidence),
                        source=AnswerRevision.Source.SYSTEM,
                    )
                )
                if rationale:
                    revisions.append(
                        AnswerRevision(
                            round=round_,
                            expert=expert,
                            area=area,
                            field=AnswerRevision.Field.RATIONALE,
                            new_value=rationale,
                            source=AnswerRevision.Source.SYSTEM,
                        )
                    )
    Participation.objects.bulk_create(participations)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    AreaResponse.objects.bulk_create(responses, batch_size=1000)
    AnswerRevision.objects.bulk_create(revisions, batch_size=1000)


def _saved_not_submitted(round_: Round, expert: Expert, area: Area, criteria: list[Criterion]) -> list[Rating]:
    """An expert who started but never submitted: saved answers that results leave out by default."""
    return [
        Rating(round=round_, expert=expert, area=area, criterion=criterion, value=1, cannot_judge=False)
        for criterion in criteria
    ]


def _first_revision(rating: Rating) -> AnswerRevision:
    """The history row of a rating the demo writes directly: every rating has its revisions."""
    return AnswerRevision(
        round=rating.round,
        expert=rating.expert,
        area=rating.area,
        criterion=rating.criterion,
        field=AnswerRevision.Field.VALUE,
        old_value=None,
        new_value=None if rating.value is None else str(rating.value),
        source=AnswerRevision.Source.SYSTEM,
    )


def _clip(value: float) -> int:
    return int(min(9, max(1, round(value))))
