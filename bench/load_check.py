"""What the load run must prove, checked against the database after the run.

Each simulated expert sends one request at a time, so the order of their acknowledged saves is known
exactly. From the client's records alone the checks derive, per expert and item, the value that must be
stored (the last acknowledged one) and the append-only history that must exist (one value revision per
acknowledged change), and compare both with the database:

- every success is stored: the stored value is the last acknowledged one, and each acknowledged change
  has its revision, in order; acknowledged submissions are marked submitted;
- every refusal is a clear 4xx that wrote nothing: 409 saying the round is closed, sent after the close
  began; no rating, revision or submission exists beyond the acknowledged ones;
- no 5xx, no request without an answer, no unexpected status;
- no duplicate rows (ratings, participations, result rows, the close's audit event);
- the aggregates: after the close's aggregation job is done, each item's panel row has n (and
  n "cannot judge") equal to the stored ratings; the aggregation counts every stored rating of the
  round (submitted or not: ``aggregation.services.load_ratings``), and so does this check.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count

from aggregation.inclusion import counted_ratings
from aggregation.models import AggregationRun, ItemResult
from aggregation.selectors import shown_run
from bench.load_client import Record
from elicitation.models import AnswerRevision, AuditEvent, Participation, Rating, Round

SAVES = ("autosave", "form_save", "submit")
SUCCESS: dict[str, int | tuple[int, ...]] = {
    "link": 302,
    "welcome": 200,
    "consent": 302,
    "form": 200,
    "autosave": 200,
    "form_save": 302,
    "submit": 302,
    "thanks": 200,
    "livez": 200,
    "livez_closed_loop": 200,
    "login": (200, 302),
    "close": (200, 302, 303),  # the confirmation page, then the redirect to the round
}
CLOSED_WORDS = ("round is closed", "No round is open")


def _item(field: str) -> tuple[int, int]:
    _r, area, criterion = field.split("-")
    return int(area), int(criterion)


def _as_text(value: str) -> str:
    return "cannot_judge" if value == "cj" else value


def expected_state(records: Iterable[Record]) -> tuple[dict[tuple[int, int, int], list[str]], set[int]]:
    """Per (expert, area, criterion) the values the acknowledged changes set, in order; who submitted."""
    changes: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    submitted: set[int] = set()
    for record in sorted((r for r in records if r.kind in SAVES), key=lambda r: r.started):
        if record.status not in (200, 302) or record.expert_id is None:
            continue
        for field, value in record.answers.items():
            key = (record.expert_id, *_item(field))
            text = _as_text(value)
            if not changes[key] or changes[key][-1] != text:
                changes[key].append(text)
        if record.kind == "submit":
            submitted.add(record.expert_id)
    return dict(changes), submitted


def check_statuses(records: list[Record], *, close_started: float | None) -> list[str]:
    problems: list[str] = []
    for record in records:
        expected = SUCCESS.get(record.kind, 200)
        ok = record.status in expected if isinstance(expected, tuple) else record.status == expected
        if ok:
            continue
        where = f"{record.kind} (expert {record.expert_id}) at {record.started:.2f} s"
        if record.status == 0:
            problems.append(f"{where}: no answer")
        elif record.status >= 500:
            problems.append(f"{where}: {record.status}")
        elif record.kind in SAVES and record.status == 409:
            if close_started is None or record.ended < close_started:
                problems.append(f"{where}: refused with 409 before the close was sent")
            elif not any(words in record.body for words in CLOSED_WORDS):
                problems.append(f"{where}: 409 without saying the round is closed")
        else:
            problems.append(f"{where}: unexpected {record.status}")
    return problems


def check_database(round_id: int, records: list[Record]) -> list[str]:
    """Stored ratings, revisions and submissions against what the client was told."""
    problems: list[str] = []
    changes, submitted = expected_state(records)
    round_ = Round.objects.get(pk=round_id)
    stored = {
        (r.expert_id, r.area_id, r.criterion_id): ("cannot_judge" if r.cannot_judge else str(r.value), r.updated_at)
        for r in Rating.objects.filter(round_id=round_id)
    }
    for key, values in changes.items():
        found = stored.get(key)
        if found is None:
            problems.append(f"acknowledged rating {key} is not stored")
        elif found[0] != values[-1]:
            problems.append(f"rating {key} is {found[0]}, the last acknowledged value was {values[-1]}")
    for key in stored.keys() - changes.keys():
        problems.append(f"rating {key} is stored but no save of it was acknowledged")
    late = [key for key, (_v, updated) in stored.items() if round_.closed_at and updated > round_.closed_at]
    problems += [f"rating {key} changed after the close" for key in late]

    history: dict[tuple[int, int, int], list[str | None]] = defaultdict(list)
    revisions = AnswerRevision.objects.filter(round_id=round_id, field=AnswerRevision.Field.VALUE).order_by("pk")
    for expert_id, area_id, criterion_id, new_value in revisions.values_list(
        "expert_id", "area_id", "criterion_id", "new_value"
    ):
        history[(expert_id, area_id, criterion_id)].append(new_value)
    for key in changes.keys() | history.keys():
        if history.get(key, []) != list(changes.get(key, [])):
            problems.append(f"revisions of {key} are {history.get(key)}, acknowledged changes {changes.get(key)}")

    marked = set(
        Participation.objects.filter(round_id=round_id, submitted_at__isnull=False).values_list("expert_id", flat=True)
    )
    problems += [f"expert {e}'s acknowledged submission is not stored" for e in sorted(submitted - marked)]
    problems += [f"expert {e} is marked submitted without an acknowledged submit" for e in sorted(marked - submitted)]
    return problems + check_duplicates(round_id)


def check_duplicates(round_id: int) -> list[str]:
    problems: list[str] = []
    groups = {
        "rating": Rating.objects.filter(round_id=round_id).values("expert_id", "area_id", "criterion_id"),
        "participation": Participation.objects.filter(round_id=round_id).values("expert_id"),
        "item result": ItemResult.objects.filter(round_id=round_id).values(
            "run_id", "area_id", "criterion_id", "group"
        ),
    }
    for name, rows in groups.items():
        duplicated = rows.annotate(copies=Count("pk")).filter(copies__gt=1).count()
        if duplicated:
            problems.append(f"{duplicated} duplicated {name} rows")
    closes = AuditEvent.objects.filter(action="round.close", detail__round_id=round_id).count()
    if closes != 1:
        problems.append(f"{closes} round.close audit events, expected 1")
    round_ = Round.objects.get(pk=round_id)
    submits = Counter(
        AuditEvent.objects.filter(
            action="round.submitted", study_id=round_.study_id, target=f"round {round_.number}"
        ).values_list("actor_expert_id", flat=True)
    )
    problems += [f"expert {e} has {n} submission events" for e, n in submits.items() if n > 1]
    return problems


def wait_for_close_aggregation(round_id: int, *, timeout: float = 180.0) -> AggregationRun | None:
    """The run the close queued, once the worker has finished it (None on timeout or failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = AggregationRun.objects.filter(round_id=round_id, trigger=AggregationRun.Trigger.CLOSE).first()
        if run is not None and run.status in (AggregationRun.Status.DONE, AggregationRun.Status.FAILED):
            return run if run.status == AggregationRun.Status.DONE else None
        time.sleep(0.5)
        connection.close()  # a fresh snapshot and no idle transaction on the next look
    return None


def check_aggregates(round_id: int) -> list[str]:
    """Each item's panel row in the shown (current) run counts exactly the stored ratings that results count
    (``counted_ratings``: those of experts who submitted, unless the round's rule counts every saved answer)."""
    problems: list[str] = []
    run = shown_run(round_id)
    if run is None:
        return ["the closed round has no current run"]
    rows = list(ItemResult.objects.filter(run=run, group=""))
    ratings = Rating.objects.filter(round_id=round_id)
    if run.ratings_count != ratings.count():
        problems.append(f"the run read {run.ratings_count} ratings; {ratings.count()} are stored")
    values: dict[tuple[int, int], list[float]] = defaultdict(list)
    cannot: Counter[tuple[int, int]] = Counter()
    for area_id, criterion_id, value in counted_ratings(round_id).values_list("area_id", "criterion_id", "value"):
        if value is None:
            cannot[(area_id, criterion_id)] += 1
        else:
            values[(area_id, criterion_id)].append(float(value))
    by_item = {(row.area_id, row.criterion_id): row for row in rows}
    for key in values.keys() | cannot.keys() | by_item.keys():
        row = by_item.get(key)
        n, n_cannot = len(values.get(key, [])), cannot.get(key, 0)
        if row is None:
            problems.append(f"item {key} has {n} ratings but no result row")
            continue
        if (row.n, row.n_cannot_judge) != (n, n_cannot):
            problems.append(f"item {key}: result n={row.n}/{row.n_cannot_judge} cannot judge; stored {n}/{n_cannot}")
        if not row.suppressed and n and row.mean is not None:
            mean = sum(values[key]) / n
            if not math.isclose(row.mean, mean, rel_tol=1e-9):
                problems.append(f"item {key}: result mean {row.mean}, stored ratings' mean {mean}")
    return problems
