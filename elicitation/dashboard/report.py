"""Tables for the dashboard and the printable report, built from the selectors' rows without more queries.

The report's panel composition goes through ``analysis.disclosure``: no count below k is shown, nor one
that could be worked out from the total and the counts shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy

from aggregation.models import AreaVerdict, CrossBloc, ItemResult
from analysis import disclosure
from elicitation.dashboard import selectors
from elicitation.dashboard.selectors import Label
from elicitation.models import ConsensusRule, Round, Study

T = TypeVar("T")


END_WORDS = {"low": gettext_lazy("low end"), "middle": gettext_lazy("middle"), "high": gettext_lazy("high end")}


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: a result, a suppressed group (fewer than k) or an item without results."""

    row: ItemResult | None
    # Experts who recorded dissent (whole panel): a count of k or more, None for 1 to k - 1, 0 for none.
    dissent: int | None = 0

    @property
    def state(self) -> str:
        if self.row is None:
            return "missing"
        return "suppressed" if self.row.suppressed else "result"

    @property
    def verdict(self) -> str:
        """ "yes", "no" or "none" (no rule or no ratings): drives the icon, the words and the shade."""
        if self.row is None or self.row.consensus is None:
            return "none"
        return "yes" if self.row.consensus else "no"

    @property
    def end_words(self) -> str:
        """Which end the agreement is on ("low end", "high end", "middle"); empty without consensus."""
        if self.row is None or not self.row.consensus:
            return ""
        return str(END_WORDS.get(self.row.consensus_band, ""))


@dataclass(frozen=True)
class ItemLine:
    """One item of the report: its area, criterion, panel row and recorded dissent (as ``Cell.dissent``)."""

    area: Label
    criterion: Label
    row: ItemResult | None
    dissent: int | None = 0


@dataclass(frozen=True)
class DividedRow:
    area: Label
    criterion: Label
    row: CrossBloc
    medians: list[float | None]
    ends: list[tuple[str, str]]  # (bloc, the end it agrees on, in words), in the study's bloc order


def cell(row: ItemResult | None, dissent: int | None = 0) -> Cell:
    return Cell(row=row, dissent=dissent)


def ordered(counts: Mapping[str, T], order: Sequence[str]) -> list[tuple[str, T]]:
    """Entries in the study's order of blocs or sectors, then any others alphabetically."""
    names = [n for n in order if n in counts] + sorted(n for n in counts if n not in order)
    return [(n, counts[n]) for n in names]


def composition(study: Study) -> dict[str, Any]:
    """The panel size, and the panel by bloc and by sector, through disclosure control (one query).

    Both tables add up to the panel size, so a withheld count could be derived from the others: the
    complementary suppression of ``analysis.disclosure`` withholds what that takes (None = withheld).
    """
    by_bloc, by_sector = selectors.panel_composition(study)
    blocs, sectors = ordered(by_bloc, study.blocs), ordered(by_sector, study.sectors)
    total = sum(by_bloc.values())
    counts: dict[tuple[str, str], int] = {("total", ""): total}
    counts |= {("bloc", name): n for name, n in blocs} | {("sector", name): n for name, n in sectors}
    relations = [
        (("total", ""), [("bloc", name) for name, _ in blocs]),
        (("total", ""), [("sector", name) for name, _ in sectors]),
    ]
    hidden = disclosure.withheld(counts, relations, k=study.min_group_size)
    return {
        "panel_size": None if ("total", "") in hidden else total,
        "composition_blocs": [(name, None if ("bloc", name) in hidden else n) for name, n in blocs],
        "composition_sectors": [(name, None if ("sector", name) in hidden else n) for name, n in sectors],
    }


def bloc_columns(rows: Sequence[DividedRow], blocs: Sequence[str]) -> list[str]:
    extra = sorted({name for r in rows for name in r.row.group_medians} - set(blocs))
    return [*blocs, *extra]


@dataclass(frozen=True)
class BlocVerdicts:
    """The verdict grid: one row per area, one (verdict, label) or None per bloc column."""

    blocs: list[str]
    rows: list[tuple[Label, list[tuple[str, str] | None]]]


def bloc_verdict_grid(round_id: int, areas: Sequence[Label], study: Study) -> BlocVerdicts:
    """Each bloc's verdict per area, in the study's bloc order (one query)."""
    found = selectors.bloc_verdicts(round_id)
    labels = dict(AreaVerdict.Verdict.choices)
    blocs = [name for name in study.blocs if any(group == name for group, _area in found)]
    blocs += sorted({group for group, _area in found} - set(blocs))
    rows = []
    for area in areas:
        cells: list[tuple[str, str] | None] = []
        for bloc in blocs:
            verdict = found.get((bloc, area.id))
            cells.append((verdict.verdict, str(labels.get(verdict.verdict, ""))) if verdict else None)
        rows.append((area, cells))
    return BlocVerdicts(blocs=blocs, rows=rows)


def divided_rows(
    crossbloc: Sequence[CrossBloc], areas: Sequence[Label], criteria: Sequence[Label], study: Study
) -> list[DividedRow]:
    """Divided items with one median per bloc column (None: fewer than k, or not compared)."""
    area_by_id = {a.id: a for a in areas}
    criterion_by_id = {c.id: c for c in criteria}
    columns = sorted({name for row in crossbloc for name in row.group_medians} - set(study.blocs))
    columns = [*study.blocs, *columns]
    end_words = dict(ConsensusRule.Band.choices)
    return [
        DividedRow(
            area=area_by_id[row.area_id],
            criterion=criterion_by_id[row.criterion_id],
            row=row,
            medians=[_float(row.group_medians.get(name)) for name in columns],
            ends=[(name, str(end_words.get(row.bloc_ends[name], ""))) for name in columns if name in row.bloc_ends],
        )
        for row in crossbloc
        if row.area_id in area_by_id and row.criterion_id in criterion_by_id
    ]


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def classify(
    lines: Sequence[ItemLine], asked: Mapping[int, set[tuple[int, int]]], rounds: Sequence[Round], round_: Round
) -> dict[str, list[ItemLine]]:
    """Split the round's items: reached consensus, dropped afterwards, or (to be) rated again.

    An item without consensus is *dropped* when a later round exists and does not ask it; otherwise
    it is re-rated in the next round (or will be, if none exists yet).
    """
    later = [r for r in rounds if r.number > round_.number]
    next_items = asked.get(later[0].number, set()) if later else None
    groups: dict[str, list[ItemLine]] = {"consensus": [], "dropped": [], "rerate": []}
    for line in lines:
        if line.row is None:
            continue
        if line.row.consensus:
            groups["consensus"].append(line)
        elif next_items is not None and (line.area.id, line.criterion.id) not in next_items:
            groups["dropped"].append(line)
        else:
            groups["rerate"].append(line)
    return groups


def round_report(study: Study, rounds: Sequence[Round], round_: Round, language: str | None) -> dict[str, Any]:
    """Everything the report shows about one round (eight queries)."""
    areas, criteria = selectors.labels(study, language, round_number=round_.number)
    items = selectors.item_results([round_.pk])
    asked = selectors.items_asked(study)
    this_round = asked.get(round_.number, set())
    dissent = selectors.item_dissent(round_, k=study.min_group_size)
    lines = [
        ItemLine(area=a, criterion=c, row=items.get((round_.pk, a.id, c.id)), dissent=dissent.get((a.id, c.id), 0))
        for a in areas
        for c in criteria
        if (a.id, c.id) in this_round or (round_.pk, a.id, c.id) in items
    ]
    verdicts = selectors.area_verdicts(round_.pk)
    verdict_labels = dict(AreaVerdict.Verdict.choices)
    agreement = selectors.criterion_agreement(round_.pk)
    divided = divided_rows(selectors.divided_items(round_.pk), areas, criteria, study)
    return {
        "bloc_verdicts": bloc_verdict_grid(round_.pk, areas, study),
        "items": lines,
        "groups": classify(lines, asked, rounds, round_),
        "area_verdicts": [
            (a, verdicts.get(a.id), verdict_labels.get(verdicts[a.id].verdict, "") if a.id in verdicts else "")
            for a in areas
        ],
        "agreement": [(c, agreement.get(c.id)) for c in criteria],
        "divided": divided,
        "bloc_columns": bloc_columns(divided, study.blocs),
    }
