"""Controlled feedback for experts: the group's answers to each item, never anyone's identity.

From round 2 of a classic study each item shows the previous round's group response (in a real-time
study: the current round's as of its newest published aggregation run, which changes only when at
least k new contributors have joined; see ``aggregation.runs``): n, median and interquartile range
with the study's quantile method, the distribution as a small bar chart, the expert's own earlier
answer, and the moderated rationales of the area. What could identify a person is suppressed:

- what may be shown is decided by ``analysis.disclosure``, as for every other output: fewer than
  k = ``study.min_group_size`` raters give no statistics, no chart, no rationales;
- a breakdown by bloc (when the study shows one, ``Study.feedback_by_bloc``) shows the blocs disclosure
  control lets through: none below k, none that could be derived by subtracting the shown blocs from the
  total (complementary suppression).

The pure functions (``item_stats``, ``shown_blocs``, ``chart_bars``) take counts and know no Django;
``round_feedback`` loads everything for a page in a fixed number of queries.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from aggregation.inclusion import counted_ratings
from aggregation.numbers import number_text
from aggregation.selectors import shown_item_rows
from analysis import disclosure
from analysis.metrics import quantile
from core.compiled_queries import CompiledQuery
from elicitation.models import AreaResponse, Expert, Rating, Round, RoundItem, Study

ItemKey = tuple[int, int]  # (area_id, criterion_id)

CHART_BAR_WIDTH = 20
CHART_HEIGHT = 60


@dataclass(frozen=True)
class Bar:
    value: int
    count: int
    x: float
    y: float
    width: float
    height: float
    is_own: bool
    show_label: bool


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def text(self) -> dict[str, str]:
        """The numbers as short text: 7, 6.5, 6.25 (never 7.00)."""
        return {name: number_text(getattr(self, name), localise=False) for name in ("median", "q1", "q3", "iqr")}


@dataclass(frozen=True)
class BlocStats:
    bloc: str
    stats: Stats


@dataclass
class ItemFeedback:
    area_id: int
    criterion_id: int
    n: int
    cannot_judge: int
    stats: Stats | None  # None when fewer than k raters
    bars: list[Bar]
    counts: list[tuple[int, int]]  # (value, count) for the text alternative
    chart_width: int
    scale_min: int
    own_value: int | None
    own_cannot_judge: bool
    blocs: list[BlocStats] | None  # None: no breakdown (turned off, or disclosure control shows no bloc)

    @property
    def suppressed(self) -> bool:
        return self.stats is None

    @property
    def median_x(self) -> float:
        """Where the median falls on the chart, in viewBox units."""
        return 0.0 if self.stats is None else (self.stats.median - self.scale_min + 0.5) * CHART_BAR_WIDTH

    @property
    def chart_height(self) -> int:
        return CHART_HEIGHT


@dataclass(frozen=True)
class PanelRationale:
    """One anonymous reason: as its expert wrote it, with the coordinators' translation when the reader needs one."""

    text: str
    language: str
    translation: str = ""
    translation_language: str = ""


@dataclass
class RoundFeedback:
    source: Round | None  # the round whose answers are shown; None: no feedback in this round
    live: bool
    min_group_size: int
    items: dict[ItemKey, ItemFeedback] = field(default_factory=dict)
    rationales: dict[int, list[PanelRationale]] = field(default_factory=dict)
    rationales_suppressed: set[int] = field(default_factory=set)


def _expand(counts: Mapping[int, int]) -> list[int]:
    return [value for value, count in sorted(counts.items()) for _ in range(count)]


def item_stats(counts: Mapping[int, int], *, method: str) -> Stats | None:
    """n, median and quartiles from a value → count map (None without ratings); disclosure is decided elsewhere."""
    values = _expand(counts)
    if not values:
        return None
    return Stats(
        n=len(values),
        median=quantile(values, 0.5, method),
        q1=quantile(values, 0.25, method),
        q3=quantile(values, 0.75, method),
    )


def shown_blocs(panel_n: int, bloc_sizes: Mapping[str, int], *, min_group_size: int) -> list[str] | None:
    """The blocs whose figures an item's feedback may show; None when the panel's own figures are withheld.

    A lone bloc holding the whole panel adds nothing to the overall figures, so it is not a breakdown.
    """
    panel_hidden, hidden = disclosure.withheld_groups(panel_n, bloc_sizes, k=min_group_size)
    if panel_hidden or panel_n == 0:
        return None
    shown = sorted(bloc for bloc, n in bloc_sizes.items() if n > 0 and bloc not in hidden)
    if len(shown) == 1 and bloc_sizes[shown[0]] == panel_n:
        return []
    return shown


def chart_bars(counts: Mapping[int, int], *, scale_min: int, scale_max: int, own_value: int | None) -> list[Bar]:
    """Bars of an inline SVG chart (in viewBox units), one per scale value; the tallest fills the height."""
    tallest = max(counts.values(), default=0) or 1
    label_every = scale_max - scale_min <= 10
    plot_height = CHART_HEIGHT - 14  # room for the value labels below
    bars = []
    for index, value in enumerate(range(scale_min, scale_max + 1)):
        count = counts.get(value, 0)
        height = plot_height * count / tallest
        bars.append(
            Bar(
                value=value,
                count=count,
                x=index * CHART_BAR_WIDTH + 2,
                y=plot_height - height,
                width=CHART_BAR_WIDTH - 4,
                height=height,
                is_own=value == own_value,
                show_label=label_every or value in (scale_min, scale_max),
            )
        )
    return bars


_ROUND_FIELDS = tuple(field.attname for field in Round._meta.concrete_fields)
_ROUND_NUMBERED = CompiledQuery(
    lambda study_id, number: Round.objects.filter(study_id=study_id, number=number).values_list(*_ROUND_FIELDS), 2
)


def feedback_source(round_: Round) -> Round | None:
    """The round whose answers feed back: the round itself in real-time mode, else the one before it."""
    if round_.study.mode == Study.Mode.REALTIME:
        return round_
    if round_.number < 2:
        return None
    row = next(iter(_ROUND_NUMBERED.rows(round_.study_id, round_.number - 1)), None)
    return None if row is None else Round.from_db("default", _ROUND_FIELDS, row)


def _shuffled(rationales: Iterable[PanelRationale]) -> list[PanelRationale]:
    """A stable order that follows neither time nor person: by a hash of the text."""
    return sorted(rationales, key=lambda rationale: hashlib.sha256(rationale.text.encode()).hexdigest())


def round_feedback(
    *,
    round_: Round,
    expert: Expert,
    items: Iterable[tuple[ItemKey, int, int]],
    only: ItemKey | None = None,
    source: Round | None = None,
) -> RoundFeedback:
    """Feedback for ``items`` ((area_id, criterion_id), scale_min, scale_max) of ``round_``, in 4 queries.

    ``only`` restricts the work to one item (the autosave endpoint refreshes one item at a time); ``source``
    is :func:`feedback_source` of the round when the caller has it already.
    """
    source = source or feedback_source(round_)
    if source is None:
        return RoundFeedback(source=None, live=False, min_group_size=round_.study.min_group_size)
    source.study = round_.study
    return source_feedback(source=source, live=source.pk == round_.pk, expert=expert, items=items, only=only)


# What one item's feedback reads on an expert's first answer (the reveal of "after own rating"), compiled once.
_ITEM_COUNTS = CompiledQuery(
    lambda round_id, area_id, criterion_id: (
        counted_ratings(round_id)
        .filter(area_id=area_id, criterion_id=criterion_id)
        .values_list("area_id", "criterion_id", "value", "expert__bloc")
        .annotate(n=Count("id"))
        .order_by()
    ),
    3,
)
_OWN_ITEM = CompiledQuery(
    lambda round_id, expert_id, area_id, criterion_id: Rating.objects.filter(
        round_id=round_id, expert_id=expert_id, area_id=area_id, criterion_id=criterion_id
    ).values_list("area_id", "criterion_id", "value", "cannot_judge"),
    4,
)
_AREA_RATERS = CompiledQuery(
    lambda source_id, round_id, area_id: (
        counted_ratings(source_id)
        .filter(area_id=area_id, criterion_id__in=_asked_criteria(round_id, area_id))
        .values_list("criterion_id")
        .annotate(n=Count("id"))
        .order_by()
    ),
    3,
)


def _asked_criteria(round_id: int, area_id: int) -> QuerySet[RoundItem, int]:
    """The criteria of ``area_id`` that ``round_id`` asks (both active), as the form lists them."""
    items = RoundItem.objects.filter(round_id=round_id, area_id=area_id)
    return items.filter(area__is_active=True, criterion__is_active=True).values_list("criterion_id", flat=True)


def _counted_rows(source: Round, only: ItemKey | None) -> Iterable[tuple[int, int, int | None, str, int]]:
    """(area, criterion, value, bloc, count) of the counted ratings of ``source`` (of one item, or all)."""
    if only is not None:
        return _ITEM_COUNTS.rows(source.pk, *only)
    rows = counted_ratings(source.pk).values_list("area_id", "criterion_id", "value", "expert__bloc")
    return rows.annotate(n=Count("id")).order_by()


def _own_rows(source: Round, expert: Expert, only: ItemKey | None) -> Iterable[tuple[int, int, int | None, bool]]:
    """The expert's own answers in ``source``, submitted or not (of one item, or all)."""
    if only is not None:
        return _OWN_ITEM.rows(source.pk, expert.pk, *only)
    rows = Rating.objects.filter(round=source, expert=expert)
    return rows.values_list("area_id", "criterion_id", "value", "cannot_judge")


def source_feedback(
    *,
    source: Round,
    live: bool,
    expert: Expert,
    items: Iterable[tuple[ItemKey, int, int]],
    only: ItemKey | None = None,
) -> RoundFeedback:
    """The group's answers to ``items`` of ``source``, with the disclosure control of the feedback page.

    ``live``: read the published run's rows (a real-time round still open), else the counted ratings. The
    results summary sent at a study's end reads its final round through this too, so it shows exactly what
    this page would (``elicitation.expert.summary``).
    """
    study = source.study
    k = study.min_group_size
    result = RoundFeedback(source=source, live=live, min_group_size=k)

    # value -> count per item, and raters per item and bloc ("cannot judge" counts as a rater only for rationales)
    counts: dict[ItemKey, dict[int, int]] = defaultdict(dict)
    bloc_counts: dict[ItemKey, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    bloc_sizes: dict[ItemKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cannot_judge: dict[ItemKey, int] = defaultdict(int)
    if result.live:
        _published_counts(source, only, counts, bloc_counts, bloc_sizes, cannot_judge)
    else:
        # Counted as the results count them: submitted answers unless the rule counts every saved one.
        for area_id, criterion_id, value, bloc, n in _counted_rows(source, only):
            key = (area_id, criterion_id)
            if value is None:
                cannot_judge[key] += n
                continue
            counts[key][value] = counts[key].get(value, 0) + n
            bloc_counts[key][bloc][value] = n
            bloc_sizes[key][bloc] += n

    own = {
        (area_id, criterion_id): (value, judged)
        for area_id, criterion_id, value, judged in _own_rows(source, expert, only)
    }

    area_panel: dict[int, int] = defaultdict(int)
    for key, scale_min, scale_max in items:
        if only is not None and key != only:
            continue
        item_counts = counts.get(key, {})
        n = sum(item_counts.values())
        area_panel[key[0]] = max(area_panel[key[0]], n + cannot_judge.get(key, 0))
        own_value, own_cannot_judge = own.get(key, (None, False))
        shown = shown_blocs(n, bloc_sizes[key], min_group_size=k)
        stats = None if shown is None else item_stats(item_counts, method=study.quantile_method)
        blocs = None
        if stats is not None and shown and study.feedback_by_bloc:
            blocs = [
                BlocStats(bloc=bloc, stats=bloc_stats)
                for bloc in shown
                if (bloc_stats := item_stats(bloc_counts[key].get(bloc, {}), method=study.quantile_method))
            ]
        result.items[key] = ItemFeedback(
            area_id=key[0],
            criterion_id=key[1],
            n=n,
            cannot_judge=cannot_judge.get(key, 0),
            stats=stats,
            bars=chart_bars(item_counts, scale_min=scale_min, scale_max=scale_max, own_value=own_value)
            if stats
            else [],
            counts=[(value, item_counts.get(value, 0)) for value in range(scale_min, scale_max + 1)],
            chart_width=(scale_max - scale_min + 1) * CHART_BAR_WIDTH,
            scale_min=scale_min,
            own_value=own_value,
            own_cannot_judge=own_cannot_judge,
            blocs=blocs,
        )
    if only is None:
        _add_rationales(result, expert, area_panel)
    return result


def area_rationales(*, round_: Round, source: Round, expert: Expert, area_id: int) -> RoundFeedback:
    """The panel's reasons for one area of ``round_``, exactly as :func:`round_feedback` gives them with the
    whole form: what an autosave shows when the expert has just rated the area's last criterion ("after own
    rating"), without reading every item's feedback.

    Two queries: the raters of each item of the area that ``round_`` asks, in ``source`` ("cannot judge"
    included; the largest decides the suppression), and the visible texts.
    """
    source.study = round_.study
    live = source.pk == round_.pk
    result = RoundFeedback(source=source, live=live, min_group_size=round_.study.min_group_size)
    if live:
        counts: dict[ItemKey, dict[int, int]] = defaultdict(dict)
        cannot_judge: dict[ItemKey, int] = defaultdict(int)
        blocs: dict[ItemKey, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
        sizes: dict[ItemKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        _published_counts(source, None, counts, blocs, sizes, cannot_judge)
        raters = [
            sum(counts.get((area_id, c), {}).values()) + cannot_judge.get((area_id, c), 0)
            for c in _asked_criteria(round_.pk, area_id)
        ]
    else:
        raters = [n for _criterion, n in _AREA_RATERS.rows(source.pk, round_.pk, area_id)]
    _add_rationales(result, expert, {area_id: max(raters, default=0)})
    return result


def _add_rationales(result: RoundFeedback, expert: Expert, area_panel: Mapping[int, int]) -> None:
    """The moderated reasons of each area in ``area_panel`` (area -> its largest item panel, "cannot judge"
    included), or the area marked suppressed when that panel is below k."""
    source, k = result.source, result.min_group_size
    assert source is not None
    texts: dict[int, list[PanelRationale]] = defaultdict(list)
    visible = (
        AreaResponse.objects.filter(round=source, hidden_at__isnull=True, area_id__in=list(area_panel))
        .exclude(rationale="")
        .values_list("area_id", "rationale", "rationale_language", "translation", "translation_language")
    )
    for area_id, rationale, language, translation, translation_language in visible:
        # A reader of the original's language needs no translation; anyone else gets it, marked as such.
        translated = bool(translation) and language != expert.language
        texts[area_id].append(
            PanelRationale(
                text=rationale,
                language=language,
                translation=translation if translated else "",
                translation_language=translation_language if translated else "",
            )
        )
    for area_id, panel in area_panel.items():
        if disclosure.too_few(panel, k=k):  # texts have no relation to derive from: primary suppression only
            result.rationales_suppressed.add(area_id)
        elif texts.get(area_id):
            result.rationales[area_id] = _shuffled(texts[area_id])


def _published_counts(
    source: Round,
    only: ItemKey | None,
    counts: dict[ItemKey, dict[int, int]],
    bloc_counts: dict[ItemKey, dict[str, dict[int, int]]],
    bloc_sizes: dict[ItemKey, dict[str, int]],
    cannot_judge: dict[ItemKey, int],
) -> None:
    """Fill the count tables, in place, from the stored rows of the live round's published run.

    In real-time mode the group answer changes only when a new run is published (``aggregation.runs``:
    each publication adds at least k contributors), so comparing the page before and after one expert's
    save shows nothing about that save. One query; no rows before the first publication.
    """
    rows = shown_item_rows(source.pk)
    if only is not None:
        rows = rows.filter(area_id=only[0], criterion_id=only[1])
    fields = ("area_id", "criterion_id", "group", "n", "n_cannot_judge", "value_counts", "criterion__scale_min")
    for area_id, criterion_id, group, n, n_cannot_judge, distribution, scale_min in rows.values_list(*fields):
        key = (area_id, criterion_id)
        histogram = {scale_min + index: count for index, count in enumerate(distribution) if count}
        if group == "":
            counts[key] = histogram
            cannot_judge[key] = n_cannot_judge
        else:
            bloc_counts[key][group] = histogram
            bloc_sizes[key][group] = n


def feedback_visible(*, study: Study, rated_now: bool) -> bool:
    """Whether an item's feedback may be shown: always, or only once rated in this round ("after own")."""
    return study.feedback_timing == Study.FeedbackTiming.BEFORE or rated_now
