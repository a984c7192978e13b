"""Plain functions that build test data: one cast for every test module.

The default study mirrors the demo template in small: four areas, six criteria
(B1–B3 benefits, R1–R3 risks) on 1–9 scales with "cannot judge" offered.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.audit import audit
from core.errors import IllegalTransition
from elicitation.expert.services.answers import CANNOT_JUDGE
from elicitation.models import (
    AnswerRevision,
    Area,
    ConsensusRule,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
    RoundItem,
    Study,
    StudyMember,
)

_counter = itertools.count(1)

AREAS = [
    ("verification", "Verification mechanisms"),
    ("protocols", "Shared protocols"),
    ("infrastructure", "Infrastructure"),
    ("evaluations", "Evaluations"),
]
CRITERIA = [
    ("B1", "Reduction of shared global risk", Criterion.Kind.BENEFIT),
    ("B2", "Enabling agreements and trust", Criterion.Kind.BENEFIT),
    ("B3", "Added value of working jointly", Criterion.Kind.BENEFIT),
    ("R1", "Advancing dangerous capabilities", Criterion.Kind.RISK),
    ("R2", "Sharing sensitive information", Criterion.Kind.RISK),
    ("R3", "Opportunities for harm", Criterion.Kind.RISK),
]


def make_user(username: str | None = None, *, password: str = "pw-for-tests-123", **extra: Any) -> User:
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_study(
    *,
    coordinator: User | None = None,
    title: str | None = None,
    areas: Sequence[tuple[str, str]] = AREAS,
    criteria: Sequence[tuple[str, str, str]] = CRITERIA,
    with_rule: bool = True,
    **fields: Any,
) -> Study:
    study = Study.objects.create(title=title or f"Study {next(_counter)}", **fields)
    if coordinator is not None:
        study.members.add(coordinator)
    for order, (code, area_title) in enumerate(areas):
        Area.objects.create(study=study, code=code, title=area_title, description=f"About {area_title}.", order=order)
    for order, (code, name, kind) in enumerate(criteria):
        Criterion.objects.create(
            study=study, code=code, title=name, kind=kind, order=order, label_min="Very low", label_max="Very high"
        )
    if with_rule:
        ConsensusRule.objects.create(study=study, version=1, max_iqr=1, band="high", min_percent_in_band=70)
    return study


def add_member(study: Study, user: User, role: str) -> User:
    """Give ``user`` a ``role`` on ``study`` (coordinator, analyst or observer)."""
    StudyMember.objects.create(study=study, user=user, role=role)
    return user


def make_experts(study: Study, count: int, *, blocs: Iterable[str] | None = None, **fields: Any) -> list[Expert]:
    """``count`` experts numbered after the study's last; blocs cycle through ``blocs`` (default the study's)."""
    bloc_cycle = itertools.cycle(list(blocs or study.blocs))
    start = (study.experts.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    experts = []
    for number in range(start, start + count):
        experts.append(
            Expert.objects.create(
                study=study,
                number=number,
                email=f"expert{number}.s{study.pk}@example.org",
                name=f"Expert {number}",
                bloc=next(bloc_cycle),
                sector=study.sectors[number % len(study.sectors)],
                **fields,
            )
        )
    return experts


def make_round(
    study: Study,
    *,
    number: int | None = None,
    status: str = Round.Status.DRAFT,
    deadline: Any = None,
    user: User | None = None,
    invited: bool = True,
    aggregate: bool = False,
) -> Round:
    """A round asking every active (area, criterion) pair, brought to ``status`` through the services.

    Draft → open → closed run through ``round_create``, ``round_open`` and ``round_close``, so the round is
    one the state machine reaches: the study's first opening freezes the analysis plan and the consensus rule,
    each step writes its audit event and webhook event, and an open round has a deadline (``deadline``,
    default a week ahead). A deadline in the past is set after the opening: the clock moved on while the round
    was open.

    ``invited`` (the default): the invitations count as delivered (``invited_at`` = the opening), as after
    ``invitations_send`` and its jobs ran; the email path has its own tests (tests/elicitation/rounds).

    Closing requests aggregation after commit. Unless ``aggregate``, the factory drops that one request: the
    round it builds has no answers yet, and a test that commits (``transaction=True``) must not find a queued
    run it did not ask for. The test rates, then aggregates when it wants results.

    A state the services refuse (a draft or open round beside an unfinished one, a number out of order, an
    open round without a consensus rule, a bilingual study missing a text) raises: build it with
    :func:`make_round_unchecked` on purpose, and say why at the call.
    """
    from elicitation.rounds.services.lifecycle import round_close, round_create, round_open

    expected = (study.rounds.aggregate(last=Max("number"))["last"] or 0) + 1
    if number is not None and number != expected:
        raise IllegalTransition(
            f"make_round: round {number} of {study} would be out of order (the next is {expected}); "
            "use make_round_unchecked for a state the services refuse"
        )
    now = timezone.now()
    with transaction.atomic():
        if status == Round.Status.DRAFT:
            return round_create(study=study, deadline=deadline, user=user)
        round_ = round_create(study=study, user=user)
        future = deadline if deadline is not None and deadline > now else now + dt.timedelta(days=7)
        round_ = round_open(round=round_, user=user, deadline=future)
        if invited:
            round_.participations.update(invited_at=round_.opened_at)
        if status == Round.Status.CLOSED:
            pending = len(connection.run_on_commit)
            round_ = round_close(round=round_, user=user, reason="test factory")
            if not aggregate:
                del connection.run_on_commit[pending:]  # the close's aggregation request (see the docstring)
        if deadline is not None and deadline != future:
            Round.objects.filter(pk=round_.pk).update(deadline=deadline)  # time passed while the round was open
            round_.deadline = deadline
    return round_


def make_round_unchecked(
    study: Study, *, number: int | None = None, status: str = Round.Status.DRAFT, deadline: Any = None
) -> Round:
    """A round row written directly, for the few tests that need a state the state machine refuses.

    Exists for tests of the guards themselves and of data the services can no longer produce (a draft beside
    an open round, numbers out of order, rows from before a rule existed): no plan freeze, no audit event.
    Everything else uses :func:`make_round`.
    """
    number = number or (study.rounds.count() + 1)
    now = timezone.now()
    round_ = Round.objects.create(
        study=study,
        number=number,
        status=status,
        deadline=deadline,
        opened_at=now if status != Round.Status.DRAFT else None,
        closed_at=now if status == Round.Status.CLOSED else None,
        consensus_rule=study.current_rule(),
    )
    RoundItem.objects.bulk_create(
        RoundItem(round=round_, area=area, criterion=criterion)
        for area in study.areas.filter(is_active=True)
        for criterion in study.criteria.filter(is_active=True)
    )
    for expert in study.experts.filter(is_active=True):
        Participation.objects.create(round=round_, expert=expert, invited_at=now)
    return round_


def mark_submitted(round_: Round, experts: Iterable[Expert]) -> None:
    """The experts have submitted ``round_``, as ``round_submit`` leaves it (results count submitted answers).

    A bulk write of what the service writes, without its checks of the clock: ``submitted_at`` (and
    ``opened_at``/``started_at`` if still empty) on the expert's participation, and a ``round.submitted``
    audit event. Only an expert with a participation can submit (an invited expert, or one who answered):
    anyone else is refused, as the service refuses an expert who has not answered.
    """
    now = timezone.now()
    for expert in experts:
        updated = Participation.objects.filter(round=round_, expert=expert, submitted_at__isnull=True).update(
            submitted_at=now, opened_at=Coalesce("opened_at", now), started_at=Coalesce("started_at", now)
        )
        if updated:
            audit(action="round.submitted", study=round_.study, expert=expert, target=f"round {round_.number}")
        elif not Participation.objects.filter(round=round_, expert=expert).exists():
            raise ValueError(f"mark_submitted: {expert} has no participation in round {round_.number} to submit")


def change_rule(study: Study, *, user: User | None = None, reason: str = "", **changes: Any) -> ConsensusRule:
    """The study's consensus rule with ``changes``, saved through ``rule_save`` as the rule page saves it.

    Before round 1 opens this edits the draft rule; afterwards it is a recorded plan deviation (a new rule
    version and plan version) and needs a ``reason``.
    """
    from elicitation.setup.services.rules import RULE_PARTS, rule_save

    current = study.current_rule()
    parts = {name: getattr(current, name) for name in RULE_PARTS} if current is not None else {}
    return rule_save(study=study, user=user, reason=reason, **{**parts, **changes})


def open_round(study: Study, *, user: User | None = None, days: int = 7) -> Round:
    """A new round opened through the services, as a coordinator opens it: the study's first freezes its rule."""
    from elicitation.rounds.services.lifecycle import round_create, round_open

    return round_open(round=round_create(study=study), user=user, deadline=timezone.now() + dt.timedelta(days=days))


def save_answer(
    *,
    expert: Expert,
    round_id: int,
    area_id: int,
    criterion_id: int,
    value: int | None,
    cannot_judge: bool = False,
    source: str = "web",
) -> Rating | None:
    """One answer saved through the service, as the form's autosave sends it; the rating when it changed."""
    from elicitation.expert.services.answers import AnswerInput, answers_save

    answer = AnswerInput(area_id=area_id, criterion_id=criterion_id, value=value, cannot_judge=cannot_judge)
    changed = answers_save(expert=expert, round_id=round_id, answers=[answer], source=source)
    return changed[0] if changed else None


def rating_of(round_: Round, expert: Expert, item: RoundItem, value: int | None) -> Rating:
    """An unsaved rating of ``item`` by ``expert``; ``None``: cannot judge."""
    return Rating(
        round=round_,
        expert=expert,
        area_id=item.area_id,
        criterion_id=item.criterion_id,
        value=value,
        cannot_judge=value is None,
    )


def rate_everything(
    round_: Round, values: Sequence[int | None] | None = None, *, submitted: bool = True
) -> list[Rating]:
    """Every active expert rates every item of ``round_``; values cycle (None = cannot judge).

    With ``submitted`` (the default) each expert has also submitted the round (:func:`mark_submitted`), as
    results count only submitted answers unless the rule says otherwise.

    A bulk write of the rows ``answers_save`` writes for a first answer to every item, so that studies of
    hundreds of ratings stay quick to build: the ratings, one ``AnswerRevision`` each (no old value, the new
    value, source web), the participation opened and started (created if the expert joined after the
    opening, as the save creates it), and one ``answers.saved`` audit event per expert.
    tests/test_factories.py compares the rows with a round answered through the services. What the bulk write
    does not check is the clock: it also rates a closed round, the state of answers saved before the close.
    """
    cycle = itertools.cycle(values or [7, 8, 6, 7, 9, 5])
    experts = list(round_.study.experts.filter(is_active=True))
    items = list(round_.items.all())
    ratings = []
    for expert in experts:
        for item in items:
            value = next(cycle)
            ratings.append(rating_of(round_, expert, item, value))
    created = Rating.objects.bulk_create(ratings)
    AnswerRevision.objects.bulk_create(
        AnswerRevision(
            round=round_,
            expert=rating.expert,
            area_id=rating.area_id,
            criterion_id=rating.criterion_id,
            field=AnswerRevision.Field.VALUE,
            old_value=None,
            new_value=CANNOT_JUDGE if rating.cannot_judge else str(rating.value),
            source=AnswerRevision.Source.WEB,
        )
        for rating in created
    )
    now = timezone.now()
    for expert in experts:  # in the order of the service: each expert saves, then submits
        updated = Participation.objects.filter(round=round_, expert=expert).update(
            opened_at=Coalesce("opened_at", now), started_at=Coalesce("started_at", now)
        )
        if not updated:
            Participation.objects.create(round=round_, expert=expert, opened_at=now, started_at=now)
        audit(
            action="answers.saved",
            study=round_.study,
            expert=expert,
            target=f"round {round_.number}",
            ratings=len(items),
            source=AnswerRevision.Source.WEB,
        )
        if submitted:
            mark_submitted(round_, [expert])
    return created


ZH_AREAS = {"verification": "核查机制", "protocols": "共同协议", "infrastructure": "基础设施", "evaluations": "评估"}
ZH_CRITERIA = {"B1": "降低共同的全球风险", "B2": "促成协议与信任", "B3": "合作的附加价值", "R1": "推进危险能力"}
ZH_CRITERIA.update({"R2": "共享敏感信息", "R3": "造成危害的机会"})
ZH_STUDY = {
    "title": "竞争对手之间的合作",
    "question": "竞争对手可以在哪些方面合作？",
    "introduction": "感谢您参加这项关于合作的研究。",
    "consent_text": "我们记录您的评分，并保存五年。",
    "ethics_approval": "伦理委员会，批准编号 EB-2027-14",
    "contact": "研究办公室 Ada Example 博士",
    "data_controller": "示例大学数据保护办公室",
    "bloc:United States": "美国",
    "bloc:China": "中国",
    "bloc:Europe": "欧洲",
    "bloc:Other": "其他",
    "sector:Academia": "学术界",
    "sector:Industry": "产业界",
    "sector:Government": "政府",
    "sector:Civil society": "公民社会",
}


def translate_into_chinese(study: Study) -> Study:
    """Give every text of ``study`` an expert reads a Simplified Chinese version, where it has none yet.

    What a coordinator does before a round opens to Chinese-language experts: ``round_open`` refuses a round
    whose asked texts are missing in a language an expert uses (bilingual parity). Written directly, as the
    study's set-up, with no reworded text: nothing is stale.
    """
    from elicitation.setup.services.translations import text_keys

    default = study.default_language
    owners: list[Study | Area | Criterion] = [study, *study.areas.all(), *study.criteria.all()]
    for owner in owners:
        translations = dict(owner.translations or {})
        chinese = dict(translations.get("zh-hans", {}))
        for key in text_keys(owner):
            english = key.partition(":")[2] if isinstance(owner, Study) and ":" in key else getattr(owner, key, "")
            if not english or chinese.get(key):
                continue
            chinese[key] = _chinese_text(owner, key)
        translations["zh-hans"] = chinese
        owner.translations = translations
        owner.save(update_fields=["translations"])
    if "zh-hans" not in (study.languages or []):
        study.languages = [*(study.languages or [default]), "zh-hans"]
        study.save(update_fields=["languages"])
    return study


def _chinese_text(owner: Study | Area | Criterion, key: str) -> str:
    if isinstance(owner, Study):
        return ZH_STUDY.get(key, f"研究{key}")
    if key == "title":
        known = ZH_AREAS if isinstance(owner, Area) else ZH_CRITERIA
        return known.get(owner.code, f"{owner.code} 的标题")
    return {"label_min": "非常低", "label_max": "非常高"}.get(key, f"{owner.code} 的说明。")


def make_bilingual_study(*, coordinator: User | None = None, **fields: Any) -> Study:
    """A study whose every text an expert reads exists in English and Simplified Chinese."""
    study = make_study(
        coordinator=coordinator,
        title="Cooperation between rivals",
        question="Where could rivals cooperate?",
        introduction="Thank you for joining this study of cooperation.",
        consent_text="We record your ratings and keep them for five years.",
        ethics_approval="Ethics board, reference EB-2027-14",
        contact="Dr. Ada Example, study office",
        data_controller="Example University, data protection office",
        languages=["en", "zh-hans"],
        translations={"zh-hans": dict(ZH_STUDY)},
        **fields,
    )
    for area in study.areas.all():
        zh = ZH_AREAS.get(area.code, f"领域 {area.code}")
        area.translations = {"zh-hans": {"title": zh, "description": f"关于{zh}。"}}
        area.save(update_fields=["translations"])
    for criterion in study.criteria.all():
        zh = ZH_CRITERIA.get(criterion.code, f"标准 {criterion.code}")
        criterion.translations = {
            "zh-hans": {"title": zh, "description": f"{zh}的说明。", "label_min": "非常低", "label_max": "非常高"}
        }
        criterion.description = f"How to judge {criterion.title}."
        criterion.save(update_fields=["translations", "description"])
    return study


def session_and_link_statements() -> int:
    """The statements an expert's request spends on its session and its link: one on PostgreSQL with
    sessions in the database (the link is read with the session's row: ``core.db_sessions``, read-alongs),
    the link alone when Redis holds the session (``core.sessions``), and both apart on SQLite."""
    from django.conf import settings

    if settings.SESSION_ENGINE == "core.sessions":
        return 1
    return 1 if connection.vendor == "postgresql" else 2
