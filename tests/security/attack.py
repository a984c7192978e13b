"""The differencing attack of issue 14, replayed through the real interfaces: observe everything, then subtract.

One expert saves at a time. After each save (and after the worker has finished with it) a coordinator polls
everything they can see — by API token: ``participation/``, ``rounds/<uuid>/``, ``aggregates/`` and every
export table as JSON; by session: the round page, every dashboard page and the export downloads — and, in
real-time mode, an expert who already answered reloads their feedback. Each observation is reduced to
*figures*: a count ``n`` with whatever can be subtracted (n·mean, a count per value).

:func:`attack` then tries what an attacker would: for any two observations of the same figure, a change
of 1 to k - 1 contributors isolates those few (n·mean differences, count-per-value differences, bloc
table differences), and when the difference is exactly one rating it *is* that rating; participation
timing says whose. A figure shown on fewer than k contributors leaks without any subtraction.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from aggregation.models import AggregationRun
from coopsurvey import jobs
from elicitation.models import Expert, Round, Study
from tests.access.routes import all_routes

TABLES = ("ratings", "rationales", "panel", "aggregates", "results")


@dataclass(frozen=True)
class Figure:
    """One published number's basis: how many stand behind it, and what subtracts (a sum, counts per value)."""

    n: int
    total: float | None = None
    counts: tuple[tuple[int, int], ...] = ()


@dataclass
class Observation:
    after: int  # how many experts had saved
    figures: dict[tuple[Any, ...], Figure] = field(default_factory=dict)
    started: frozenset[str] = frozenset()  # experts participation/ says started (by expert UUID)
    dashboard: tuple[str, ...] = ()


@dataclass
class Findings:
    below_k: list[str] = field(default_factory=list)  # figures shown on 1 to k - 1 contributors
    small_differences: list[str] = field(default_factory=list)  # two views differing by 1 to k - 1
    recovered: dict[tuple[int, str], int] = field(default_factory=dict)  # (expert index, item) -> rating
    attributed: dict[tuple[str, str], int] = field(default_factory=dict)  # (expert UUID, item) -> rating


def wait_for_quiet_worker(round_: Round, *, timeout: float = 90) -> None:
    """Until every aggregation run of the round requested so far has finished (the worker is real)."""
    deadline = time.monotonic() + timeout
    swept = 0.0
    while time.monotonic() < deadline:
        runs = AggregationRun.objects.filter(round=round_)
        if runs.exists() and not runs.filter(status__in=["queued", "running"]).exists():
            return
        if time.monotonic() - swept >= 1.0:  # as beat does: a coalesced run waits in the database until sent
            jobs.sweep()
            swept = time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"aggregation of round {round_.pk} did not settle within {timeout} s")


def _number(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _add_result_rows(figures: dict[tuple[Any, ...], Figure], source: str, rows: list[dict[str, Any]]) -> None:
    """Rows of ``aggregates/`` or the results/aggregates tables: n and n·mean of each shown group."""
    for row in rows:
        n, mean = _number(row.get("n")), _number(row.get("mean"))
        if row.get("suppressed") in (True, "True") or n is None:
            continue
        area = row.get("area_code") or row.get("area")
        criterion = row.get("criterion_code") or row.get("criterion")
        group = row.get("bloc", row.get("group")) or ""
        key = (source, row.get("round_number") or row.get("round"), area, criterion, group)
        figures[key] = Figure(n=int(n), total=None if mean is None else n * mean)


def _add_ratings_rows(figures: dict[tuple[Any, ...], Figure], rows: list[dict[str, Any]]) -> None:
    """The ratings table as counts per value per item (strict mode has no pseudonym to do better with)."""
    per_item: dict[tuple[Any, ...], dict[int, int]] = {}
    for row in rows:
        if row.get("value") in (None, ""):
            continue
        item = per_item.setdefault(("ratings", row["round"], row["area"], row["criterion"]), {})
        item[int(row["value"])] = item.get(int(row["value"]), 0) + 1
    for key, counts in per_item.items():
        figures[key] = Figure(n=sum(counts.values()), counts=tuple(sorted(counts.items())))


_CHART = re.compile(r'<desc id="([^"]+)-chart-desc">([^<]*)</desc>')
_BLOC_ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td><td>[^<]*</td><td>(\d+)</td></tr>')


def _add_feedback(figures: dict[tuple[Any, ...], Figure], page: str) -> None:
    """Each item's histogram and bloc table from the expert's form page."""
    sections = page.split('<svg class="chart"')[1:]
    for section in sections:
        found = _CHART.search(section)
        if not found:
            continue
        item, text = found.group(1), found.group(2).split(".")[0]
        counts = tuple(
            (int(value), int(count))
            for value, count in (part.split(":") for part in text.split(",") if ":" in part)
            if int(count)
        )
        figures[("feedback", item)] = Figure(n=sum(c for _, c in counts), counts=counts)
        for bloc, _median, n in _BLOC_ROW.findall(section.split("</details>", 1)[-1]):
            figures[("feedback-bloc", item, bloc)] = Figure(n=int(n), total=None)


_DASHBOARD_NUMBER = re.compile(r'class="cell-median"[^>]*>\s*([^<]+?)\s*<')


class Observer:
    """The curious coordinator (session and API token) and, in real-time mode, a curious expert."""

    def __init__(self, *, study: Study, round_: Round, coordinator: Any, api: APIClient, watcher: Client | None):
        self.study, self.round = study, round_
        self.session = Client()
        self.session.force_login(coordinator)
        self.api = api
        self.watcher = watcher
        self.dashboards = [route.name for route in all_routes() if route.name.startswith("dashboard:")]
        # A standard study's coordinator reads every rating under its pseudonym (DOMAIN.md): the tables
        # of raw answers (ratings, and aggregates recomputed from them) are no barrier there, so only a
        # strict study's count. Published figures and the experts' feedback count in both modes.
        self.raw_tables_count = study.anonymity == Study.Anonymity.STRICT

    def _json(self, response: Any) -> Any:
        assert response.status_code == 200, (response.status_code, getattr(response, "content", b"")[:300])
        if hasattr(response, "streaming_content"):
            return json.loads(b"".join(response.streaming_content).decode("utf-8-sig"))
        return response.json()

    def observe(self, after: int) -> Observation:
        seen = Observation(after=after)
        study, round_ = self.study, self.round
        aggregates = self._json(
            self.api.get(reverse("api-v1:aggregate-list"), {"round": str(round_.uuid), "limit": "1000"})
        )
        _add_result_rows(seen.figures, "api", aggregates["results"])
        participation = self._json(
            self.api.get(reverse("api-v1:participation-list"), {"round": str(round_.uuid), "limit": "1000"})
        )
        seen.started = frozenset(row["expert"] for row in participation["results"] if row["started_on"])
        counts = self._json(self.api.get(reverse("api-v1:round-detail", kwargs={"uuid": round_.uuid})))
        seen.figures[("started",)] = Figure(n=int(counts["started"]))
        for table in TABLES:
            url = reverse("api-v1:study-table", kwargs={"uuid": study.uuid, "table": table})
            rows = self._json(self.api.get(url, {"file_format": "json"}))
            download = self.session.get(
                reverse("export-download", kwargs={"study_uuid": study.uuid}), {"table": table, "format": "json"}
            )
            assert self._json(download) == rows, table  # the page and the API give the same table
            if table == "results":
                _add_result_rows(seen.figures, table, rows)
            elif not self.raw_tables_count:
                continue
            elif table == "aggregates":
                _add_result_rows(seen.figures, table, rows)
            elif table == "ratings":
                _add_ratings_rows(seen.figures, rows)
        page = self.session.get(reverse("round-detail", kwargs={"study_uuid": study.uuid, "round_uuid": round_.uuid}))
        assert page.status_code == 200
        numbers: list[str] = []
        for name in self.dashboards:
            kwargs = {"study_uuid": study.uuid} | ({"chart": "map"} if name == "dashboard:chart-svg" else {})
            response = self.session.get(reverse(name, kwargs=kwargs))
            assert response.status_code == 200, name
            numbers += [f"{name}:{value}" for value in _DASHBOARD_NUMBER.findall(response.content.decode())]
        seen.dashboard = tuple(numbers)
        if self.watcher is not None:
            form = self.watcher.get(reverse("expert-round"))
            assert form.status_code == 200
            _add_feedback(seen.figures, form.content.decode())
        return seen


def attack(observations: list[Observation], *, k: int, savers: list[Expert]) -> Findings:
    """Everything subtraction gives an attacker who saw ``observations`` (``savers`` saved in that order)."""
    found = Findings()
    for seen in observations:
        for key, figure in seen.figures.items():
            if key != ("started",) and 0 < figure.n < k:
                found.below_k.append(f"after {seen.after} saves: {key} on n={figure.n}")
    for i, before in enumerate(observations):
        for after in observations[i + 1 :]:
            for key, now in after.figures.items():
                then = before.figures.get(key)
                if key == ("started",) or then is None:
                    continue
                change = now.n - then.n
                if 0 < abs(change) < k:
                    found.small_differences.append(
                        f"{key}: n {then.n} after {before.after} saves, {now.n} after {after.after}"
                    )
                if change != 1 or after.after != before.after + 1:
                    continue
                expert = savers[after.after - 1]
                value = _difference(then, now)
                if value is None:
                    continue
                item = "/".join(str(part) for part in key[1:])
                found.recovered[(after.after - 1, item)] = value
                if after.started - before.started == {str(expert.uuid)}:
                    found.attributed[(str(expert.uuid), item)] = value
    return found


def _difference(then: Figure, now: Figure) -> int | None:
    """The one rating that turns ``then`` into ``now``: by n·mean, or by the count that rose."""
    if then.total is not None and now.total is not None:
        return round(now.total - then.total)
    if now.counts:
        before, after = dict(then.counts), dict(now.counts)
        rose = [value for value in after if after[value] - before.get(value, 0) == 1]
        if len(rose) == 1:
            return rose[0]
    return None
