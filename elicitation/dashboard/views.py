"""The coordinator dashboard: overview, benefit × risk map, consensus, convergence, divided items, report.

Every page fetches its study through ``study_for_member`` (every role may; other studies answer 404) and reads
through ``elicitation.dashboard.selectors`` a fixed number of queries. While the chosen round is open,
htmx re-fetches the page's results section (``?partial=1``) every few seconds and swaps it in, so
numbers update without a reload; once the round has closed the fragment answers 286, htmx's "stop
polling" (``static/js/dashboard-live.js`` only keeps open sections open and pauses in a hidden tab).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from aggregation.models import AreaVerdict, CrossBloc
from core.access import study_for_member
from elicitation.dashboard import accord, figures, report, selectors
from elicitation.dashboard.plan_history import change_words, plan_history
from elicitation.dashboard.words import quantile_method_in_words
from elicitation.models import Capability, Round, Study
from elicitation.setup.services.rules import rule_in_words

PANEL = selectors.PANEL
PAGE_TITLES = {
    "overview": gettext_lazy("Overview and participation"),
    "map": gettext_lazy("Benefit × risk map"),
    "consensus": gettext_lazy("Consensus by item"),
    "convergence": gettext_lazy("Convergence and stability"),
    "divided": gettext_lazy("Items split along bloc lines"),
    "report": gettext_lazy("Report"),
}
MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 60
STOP_POLLING = 286  # htmx swaps the fragment and polls no more


class InvalidParameter(Exception):
    """A query parameter the dashboard cannot use: answered with 400 and the field's message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Dashboard:
    """What every dashboard page knows: the study, its rounds, the chosen round and its results status."""

    study: Study
    rounds: list[Round]
    round: Round | None
    status: selectors.ResultsStatus

    @property
    def previous(self) -> Round | None:
        return selectors.previous_round(self.rounds, self.round) if self.round else None


View = Callable[..., HttpResponse]


def dashboard_view(view: View) -> View:
    """Login, the coordinator check, the chosen round, and 400 for parameters that make no sense."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, study_uuid: UUID, **kwargs: Any) -> HttpResponse:
        # The study check comes first, so another study's pages answer 404 to every method alike.
        found = study_for_member(request.user, study_uuid, needs=Capability.DASHBOARD)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        try:
            rounds = selectors.study_rounds(found)
            round_ = _chosen_round(request, rounds)
            board = Dashboard(study=found, rounds=rounds, round=round_, status=selectors.results_status(round_))
            return view(request, board, **kwargs)
        except InvalidParameter as error:
            context = {"study": found, "field_errors": {error.field: [error.message]}}
            return render(request, "aggregation/dashboard/bad_request.html", context, status=400)

    return wrapped


def _chosen_round(request: HttpRequest, rounds: list[Round]) -> Round | None:
    raw = request.GET.get("round", "")
    if raw == "":
        return selectors.default_round(rounds)
    if not raw.isdigit():
        raise InvalidParameter("round", _("Choose a round by its number."))
    for round_ in rounds:
        if round_.number == int(raw):
            return round_
    raise InvalidParameter("round", _("This study has no round %(number)s.") % {"number": raw})


def _chosen_bloc(request: HttpRequest, study: Study) -> str:
    bloc = request.GET.get("bloc", PANEL)
    if bloc != PANEL and bloc not in study.blocs:
        raise InvalidParameter("bloc", _("Choose one of the study's blocs, or the whole panel."))
    return bloc


def _page(request: HttpRequest, board: Dashboard, page: str, context: dict[str, Any]) -> HttpResponse:
    """The full page, or only its results section when the live poller asks (``?partial=1``)."""
    study = board.study
    live = board.round is not None and board.round.is_open
    shortest = getattr(settings, "DASHBOARD_MIN_POLL_SECONDS", MIN_POLL_SECONDS)
    poll = min(max(study.aggregation_interval_seconds, shortest), MAX_POLL_SECONDS)
    query = request.GET.copy()
    query.pop("partial", None)
    live_query = query.copy()
    live_query["partial"] = "1"
    if board.round is not None:
        live_query["round"] = str(board.round.number)
    context = {
        "study": study,
        "rounds": board.rounds,
        "round": board.round,
        "previous": board.previous,
        "status": board.status,
        "page": page,
        "page_title": PAGE_TITLES[page],
        "live": live,
        "poll_seconds": poll,
        "live_url": f"{request.path}?{live_query.urlencode()}",
        "k": study.min_group_size,
        "results_template": f"aggregation/dashboard/_{page}_results.html",
        **context,
    }
    if request.GET.get("partial") == "1":
        # The round closed (or was never open): the numbers are final, and htmx stops polling on 286.
        response = render(request, context["results_template"], context, status=200 if live else STOP_POLLING)
        response["Cache-Control"] = "no-store"  # the poller must always see the newest numbers
        return response
    return render(request, f"aggregation/dashboard/{page}.html", context)


@dashboard_view
def overview(request: HttpRequest, board: Dashboard) -> HttpResponse:
    study, round_ = board.study, board.round
    context: dict[str, Any] = {"participation": selectors.participation(study)}
    context["participation_figure"] = figures.participation_figure(context["participation"])
    current = next((p for p in context["participation"] if round_ and p.number == round_.number), None)
    context["current"] = current
    if current is not None:
        context["participation_slices"] = [
            (_("By bloc, round %(number)s") % {"number": current.number}, report.ordered(current.by_bloc, study.blocs)),
            (
                _("By sector, round %(number)s") % {"number": current.number},
                report.ordered(current.by_sector, study.sectors),
            ),
        ]
    if round_ is not None:
        all_areas, criteria = selectors.labels(study, get_language(), round_number=round_.number)
        verdicts = selectors.area_verdicts(round_.pk)
        areas, _criteria = selectors.shown_labels(all_areas, criteria, ((area_id, 0) for area_id in verdicts))
        context["verdicts"] = [_verdict_line(area, verdicts.get(area.id)) for area in areas]
        counts = selectors.cross_bloc_counts(round_.pk)
        context["cross_bloc"] = [(label, counts.get(value, 0)) for value, label in CrossBloc.Verdict.choices]
    return _page(request, board, "overview", context)


def _verdict_line(area: selectors.Label, verdict: AreaVerdict | None) -> tuple[selectors.Label, str, str]:
    """(area, verdict value for the icon, verdict in words)."""
    if verdict is None:
        return area, "", _("No results yet")
    return area, verdict.verdict, str(dict(AreaVerdict.Verdict.choices).get(verdict.verdict, verdict.verdict))


@dashboard_view
def benefit_risk(request: HttpRequest, board: Dashboard) -> HttpResponse:
    context: dict[str, Any] = {}
    if board.round is not None:
        context["map_rows"], context["figure"] = figures.build_map(
            board.study, board.rounds, board.round, get_language()
        )
        areas = [row.area for row in context["map_rows"]]
        context["bloc_verdicts"] = report.bloc_verdict_grid(board.round.pk, areas, board.study)
    return _page(request, board, "map", context)


@dashboard_view
def consensus(request: HttpRequest, board: Dashboard) -> HttpResponse:
    study = board.study
    bloc = _chosen_bloc(request, study)
    context: dict[str, Any] = {"bloc": bloc, "blocs": study.blocs}
    if board.round is not None:
        areas, criteria = selectors.labels(study, get_language(), round_number=board.round.number)
        items = selectors.item_results([board.round.pk], group=bloc)
        areas, criteria = selectors.shown_labels(areas, criteria, ((a, c) for _r, a, c in items))
        context["criteria"] = criteria
        # Dissent is recorded by the whole panel: beside the panel's verdicts, not a bloc's.
        dissent = {} if bloc else selectors.item_dissent(board.round, k=study.min_group_size)
        context["grid"] = [
            (
                area,
                [
                    report.cell(items.get((board.round.pk, area.id, c.id)), dissent.get((area.id, c.id), 0))
                    for c in criteria
                ],
            )
            for area in areas
        ]
    return _page(request, board, "consensus", context)


@dashboard_view
def convergence(request: HttpRequest, board: Dashboard) -> HttpResponse:
    context: dict[str, Any] = {}
    if board.round is not None:
        built = figures.build_convergence(board.study, board.rounds, get_language())
        shown = [r for r in board.rounds if r.status != Round.Status.DRAFT]
        index = shown.index(board.round) if board.round in shown else None
        context["shown_rounds"] = shown
        context["areas"] = built
        context["stability"] = [
            (area, row.criterion, row.by_round[index])
            for area, rows, _iqr, _cns in built
            for row in rows
            if index is not None and row.by_round[index] is not None
        ]
    return _page(request, board, "convergence", context)


@dashboard_view
def divided(request: HttpRequest, board: Dashboard) -> HttpResponse:
    study = board.study
    context: dict[str, Any] = {}
    if board.round is not None:
        context["divided"], context["bloc_columns"], context["figure"] = figures.build_divided(
            study, board.round, get_language()
        )
        rule = board.round.consensus_rule
        context["divide_threshold"] = rule.divide_threshold.normalize() if rule is not None else "—"
    return _page(request, board, "divided", context)


@dashboard_view
def report_page(request: HttpRequest, board: Dashboard) -> HttpResponse:
    study, round_ = board.study, board.round
    rule = round_.consensus_rule if round_ else study.current_rule()
    context: dict[str, Any] = {
        "quantile_words": quantile_method_in_words(study.quantile_method),
        "rule": rule,
        "rule_words": rule_in_words(rule),
    }
    composition = report.composition(study)
    context["panel_size"] = composition["panel_size"]
    context["composition_tables"] = [
        (_("Experts by bloc"), composition["composition_blocs"]),
        (_("Experts by sector"), composition["composition_sectors"]),
    ]
    context["participation"] = selectors.participation(study)
    context["plan_history"] = history = plan_history(study)
    context["deviations"] = [
        (entry, [change_words(change) for change in entry.changes]) for entry in history if entry.is_deviation
    ]
    context["accord"] = accord.accord_items(
        study, board.rounds, history=history, participation=context["participation"], composition=composition
    )
    if round_ is not None:
        context.update(report.round_report(study, board.rounds, round_, get_language()))
        context["map_rows"], context["figure"] = figures.build_map(study, board.rounds, round_, get_language())
    return _page(request, board, "report", context)


@dashboard_view
def chart_svg(request: HttpRequest, board: Dashboard, chart: str) -> HttpResponse:
    """One chart as an SVG file to download: the same SVG the page shows inline."""
    name = chart
    if board.round is None:
        raise Http404
    figure = None
    if name == "map":
        figure = figures.build_map(board.study, board.rounds, board.round, get_language())[1]
    elif name == "participation":
        figure = figures.participation_figure(selectors.participation(board.study))
    elif name == "divided":
        figure = figures.build_divided(board.study, board.round, get_language())[2]
    elif name.startswith(("iqr-", "cns-")):
        for _area, _rows, iqr, cns in figures.build_convergence(board.study, board.rounds, get_language()):
            figure = next((f for f in (iqr, cns) if f.slug == name), figure)
    if figure is None:
        raise Http404
    filename = f"{slugify(board.study.title) or 'study'}-round-{board.round.number}-{figure.slug}.svg"
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + str(figure.svg)
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
