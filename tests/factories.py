"""Plain functions that build test data: one cast for every test module.

The default study mirrors the demo template in small: four areas, six criteria
(B1–B3 benefits, R1–R3 risks) on 1–9 scales with "cannot judge" offered.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from elicitation.models import Area, ConsensusRule, Criterion, Expert, Participation, Rating, Round, RoundItem, Study

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
        study.coordinators.add(coordinator)
    for order, (code, area_title) in enumerate(areas):
        Area.objects.create(study=study, code=code, title=area_title, description=f"About {area_title}.", order=order)
    for order, (code, name, kind) in enumerate(criteria):
        Criterion.objects.create(
            study=study, code=code, title=name, kind=kind, order=order, label_min="Very low", label_max="Very high"
        )
    if with_rule:
        ConsensusRule.objects.create(study=study, version=1, max_iqr=1, band="high", min_percent_in_band=70)
    return study


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
    study: Study, *, number: int | None = None, status: str = Round.Status.DRAFT, deadline: Any = None
) -> Round:
    """A round asking every active (area, criterion) pair; open/closed rounds get their timestamps."""
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
    """The experts have submitted ``round_`` (results and feedback count only submitted answers by default)."""
    now = timezone.now()
    for expert in experts:
        Participation.objects.update_or_create(
            round=round_, expert=expert, defaults={"submitted_at": now}, create_defaults={"submitted_at": now}
        )


def rate_everything(
    round_: Round, values: Sequence[int | None] | None = None, *, submitted: bool = True
) -> list[Rating]:
    """Every active expert rates every item of ``round_``; values cycle (None = cannot judge).

    With ``submitted`` (the default) each expert has also submitted the round, as results count only
    submitted answers unless the rule says otherwise.
    """
    cycle = itertools.cycle(values or [7, 8, 6, 7, 9, 5])
    ratings = [
        Rating(
            round=round_,
            expert=expert,
            area_id=item.area_id,
            criterion_id=item.criterion_id,
            value=(value := next(cycle)),
            cannot_judge=value is None,
        )
        for expert in round_.study.experts.filter(is_active=True)
        for item in round_.items.all()
    ]
    created = Rating.objects.bulk_create(ratings)
    if submitted:
        mark_submitted(round_, round_.study.experts.filter(is_active=True))
    return created
