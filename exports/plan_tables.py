"""The analysis plan's tables: every plan version, and every deviation setting by setting; and ``plan.json``.

Small tables (a few rows per study), read in two queries through ``elicitation.dashboard.plan_history``, which also
decides whether a version counts as a deviation (the report's wording and these tables agree).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from elicitation.dashboard.plan_history import plan_history
from exports.study_tables import _small_table
from exports.table_types import Column, Scope, Table

VERSION = Column("version", "int", "Plan version, 1 for the first.")
SHA256 = Column(
    "content_sha256",
    "string",
    "SHA-256 of the plan content as canonical JSON (sorted keys, no spaces, UTF-8): the same content always "
    "has the same hash.",
    "64 hex digits",
)


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def plan_versions_table(scope: Scope) -> Table:
    columns = [
        VERSION,
        SHA256,
        Column("created_at", "string", "When the version was made: ISO 8601 date and time in UTC."),
        Column(
            "frozen_at",
            "string",
            "When the version was frozen: ISO 8601 in UTC; empty for a draft (before round 1 opened).",
        ),
        Column(
            "status",
            "string",
            "What the record says about the version.",
            "draft = not frozen yet; frozen_before_ratings = frozen when round 1 opened, before any rating; "
            "deviation = made or frozen after ratings could be seen",
        ),
        Column("after_round", "int", "The last round closed when the version was made; empty if none."),
        Column("during_round", "int", "The round open when the version was made; empty if none."),
        Column("reason", "string", "Why the plan changed (required for every deviation)."),
        Column("content", "string", "The plan content as JSON (keys: docs/exports.md, plan.json)."),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        for entry in plan_history(scope.study):
            plan = entry.plan
            status = "draft" if not plan.is_frozen else "deviation" if entry.is_deviation else "frozen_before_ratings"
            yield (
                plan.version,
                plan.content_sha256,
                _utc(plan.created_at),
                _utc(plan.frozen_at),
                status,
                plan.after_round,
                plan.during_round,
                plan.reason,
                _json(plan.content),
            )

    return _small_table(
        "plan_versions",
        "Analysis plan versions",
        "Every version of the study's analysis plan: what decides a result, hashed and frozen when round 1 opens.",
        columns,
        make,
    )


def deviations_table(scope: Scope) -> Table:
    columns = [
        VERSION,
        SHA256,
        Column("created_at", "string", "When the deviation was made: ISO 8601 date and time in UTC."),
        Column("after_round", "int", "The last round closed when it was made; empty if none."),
        Column("during_round", "int", "The round open when it was made; empty if none."),
        Column("reason", "string", "Why the plan changed."),
        Column(
            "setting",
            "string",
            "The setting that changed, nested keys joined with dots (rule.max_iqr, thresholds.benefit, …).",
        ),
        Column("before", "string", "Its value in the version before, as JSON; empty if it had none."),
        Column("after", "string", "Its value in this version, as JSON; empty if it has none."),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        for entry in plan_history(scope.study):
            if not entry.is_deviation:
                continue
            plan = entry.plan
            common = (plan.version, plan.content_sha256, _utc(plan.created_at), plan.after_round, plan.during_round)
            changes = entry.changes or [{"setting": "", "before": None, "after": None}]
            for change in changes:
                yield (
                    *common,
                    plan.reason,
                    change["setting"],
                    None if change["before"] is None else _json(change["before"]),
                    None if change["after"] is None else _json(change["after"]),
                )

    return _small_table(
        "deviations",
        "Deviations from the analysis plan",
        "Every change of the analysis plan after it was frozen, one row per setting changed: what, when, why. "
        "A version with no earlier one to compare (recorded late) has one row with an empty setting.",
        columns,
        make,
    )


def plan_json(scope: Scope) -> dict[str, Any]:
    """``plan.json``: the plan in force (its content, version, hash, frozen_at) and every version before it."""
    history = plan_history(scope.study)
    versions = [
        {
            "version": entry.plan.version,
            "content_sha256": entry.plan.content_sha256,
            "created_at": _utc(entry.plan.created_at),
            "frozen_at": _utc(entry.plan.frozen_at),
            "deviation": entry.is_deviation,
            "reason": entry.plan.reason,
            "content": entry.plan.content,
        }
        for entry in history
    ]
    if not history:
        return {"version": None, "content_sha256": None, "frozen_at": None, "versions": []}
    current = history[-1].plan
    return {
        **current.content,
        "version": current.version,
        "content_sha256": current.content_sha256,
        "frozen_at": _utc(current.frozen_at),
        "versions": versions,
    }
