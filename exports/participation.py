"""Participation per round: counts of experts invited, who opened, started and submitted, and each
expert's furthest step under their pseudonym.

The counts go through the panel composition's suppression (``exports.panel.panel_rows``): the whole
panel, each bloc, each sector and each bloc x sector cell, with counts below k withheld together
with any count that would give them away. The per-expert table has the round, pseudonym and step
only in strict anonymity (no bloc, sector or day to pair the step with); standard anonymity adds
the UTC day of each step, never the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from elicitation.models import Expert, Participation, Round
from exports.cells import neutralise
from exports.panel import panel_rows
from exports.table_types import Column, Scope, Table

STEPS = ["invited", "opened", "started", "submitted"]  # each implies none of the others; counted separately
STATUS_CODES = (
    "not_invited = no invitation for this round; invited; opened = opened the link; "
    "started = saved an answer; submitted = submitted the round"
)


def _day(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).date().isoformat() if value else None


def _status(p: Participation | None) -> str:
    if p is None:
        return "not_invited"
    for step in reversed(STEPS):
        if getattr(p, f"{step}_at") is not None:
            return step
    return "not_invited"


def participation_table(scope: Scope) -> Table:
    columns = [
        Column("round", "int", "Round number, 1 for the first round."),
        Column("step", "string", "The step counted.", "invited; opened; started; submitted"),
        Column("grouping", "string", "What the row counts.", "total; bloc; sector; bloc_sector (bloc by sector)"),
        Column("bloc", "string", "The bloc counted, or empty when the row is not by bloc."),
        Column("sector", "string", "The sector counted, or empty when the row is not by sector."),
        Column("experts", "int", "Number of experts who reached the step; empty when suppressed."),
        Column(
            "suppressed",
            "bool",
            "Whether the count is withheld: fewer than the study's minimum group size (k), or a count that "
            "could be derived from the others.",
            "true = withheld; false = shown",
        ),
    ]
    study = scope.study

    def make() -> Iterator[tuple[Any, ...]]:
        reached: dict[tuple[int, str], list[tuple[str, str]]] = {}
        participations = Participation.objects.filter(round_id__in=scope.round_ids).values_list(
            "round__number", "expert__bloc", "expert__sector", *(f"{step}_at" for step in STEPS)
        )
        for number, bloc, sector, *times in participations:
            for step, when in zip(STEPS, times, strict=True):
                if when is not None:
                    reached.setdefault((number, step), []).append((bloc, sector))
        numbers = Round.objects.filter(pk__in=scope.round_ids).order_by("number").values_list("number", flat=True)
        for number in numbers:
            for step in STEPS:
                pairs = reached.get((number, step), [])
                for row in panel_rows(pairs, k=study.min_group_size, blocs=study.blocs, sectors=study.sectors):
                    yield (number, step, *row)

    return Table(
        name="participation",
        title="Participation per round",
        description="How many experts were invited to each round, opened their link, started and submitted, "
        f"for the panel, each bloc and sector; counts below k = {study.min_group_size} are suppressed, with "
        "complementary suppression so they cannot be derived.",
        columns=columns,
        rows=make,
        count=lambda: sum(1 for _ in make()),
    )


def participation_experts_table(scope: Scope) -> Table:
    columns = [
        Column("round", "int", "Round number, 1 for the first round."),
        Column("pseudonym", "string", "The expert's stable pseudonym in this study (E-01, E-02, …)."),
        Column("status", "string", "The furthest step the expert reached in the round.", STATUS_CODES),
    ]
    if not scope.strict:
        columns += [
            Column("invited_on", "date", "The day (UTC) of the invitation; empty if none."),
            Column("opened_on", "date", "The day (UTC) the expert first opened the round; empty if never."),
            Column("submitted_on", "date", "The day (UTC) the expert submitted the round; empty if not."),
        ]

    def make() -> Iterator[tuple[Any, ...]]:
        rounds = list(Round.objects.filter(pk__in=scope.round_ids).order_by("number"))
        experts = list(Expert.objects.filter(study=scope.study).order_by("number"))
        by_key = {(p.round_id, p.expert_id): p for p in Participation.objects.filter(round_id__in=scope.round_ids)}
        for round_ in rounds:
            for expert in experts:
                p = by_key.get((round_.pk, expert.pk))
                if p is None and not expert.is_active:
                    continue  # deactivated before this round and never part of it
                row: tuple[Any, ...] = (round_.number, neutralise(expert.pseudonym), _status(p))
                if not scope.strict:
                    row += (_day(p.invited_at), _day(p.opened_at), _day(p.submitted_at)) if p else (None, None, None)
                yield row

    return Table(
        name="participation_experts",
        title="Participation per expert",
        description="Each expert's furthest step in each round, under their pseudonym"
        + ("." if scope.strict else ", with the day (UTC) of each step."),
        columns=columns,
        rows=make,
        count=lambda: sum(1 for _ in make()),
    )
