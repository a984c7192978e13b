"""The ``audit`` table: the study's audit chain, so a reader can check its links and keep its head.

Each row carries the event's position, time, action, kind of actor, and the chain's two hashes;
``previous_hash`` of each row equals ``hash`` of the row before. The detail and the actors' ids
stay in the database (they may hold personal data), so an event's own hash can only be recomputed
there, by ``manage.py verify_audit``; what the export gives is the chain's shape and its head, to
compare with a later export or a later verification.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import CharField, F, Value
from django.db.models.expressions import Case, When

from elicitation.models import AuditEvent
from exports.cells import neutralise
from exports.table_types import Column, Scope, Table, stream_rows

# Actions whose target is a client address or a coordinator's user name: not exported.
TARGET_WITHHELD_ACTIONS = (
    "expert.link_refused",
    "study.coordinator_added",  # written before study roles (issue 20)
    "study.member_added",
    "study.member_role_changed",
    "study.member_removed",
)
PERSONAL_TARGET = re.compile(r"@|\b\d{1,3}(\.\d{1,3}){3}\b|:[0-9a-f]*:", re.IGNORECASE)

AUDIT_COLUMNS = [
    Column("sequence", "int", "The event's position in the study's audit chain, from 1 (no gaps)."),
    Column("recorded_at", "string", "When the event was recorded: ISO 8601, UTC, to the microsecond."),
    Column("action", "string", "What happened, as <thing>.<verb> (e.g. round.open, export.download)."),
    Column(
        "actor",
        "string",
        "Who acted.",
        "coordinator = a signed-in user; expert = an expert through their link; empty = the system or a public form",
    ),
    Column(
        "target",
        "string",
        "What the action was about: a pseudonym, round, item code, rule version or UUID; empty when it "
        "was a client address or a user name, which are not exported.",
    ),
    Column("previous_hash", "string", "SHA-256 (hex) of the event before; 64 zeros for the first event."),
    Column(
        "hash",
        "string",
        "SHA-256 (hex) over previous_hash and the event's full content (elicitation/models/audit_chain.py); "
        "the last row's hash is the chain's head.",
    ),
]


def _exported_target(action: str, target: str) -> str:
    if action in TARGET_WITHHELD_ACTIONS or PERSONAL_TARGET.search(target):
        return ""
    return neutralise(target)


def audit_table(scope: Scope) -> Table:
    """The whole chain of the study, whatever rounds the export covers: a chain is checked whole."""
    queryset = AuditEvent.objects.filter(study=scope.study)
    rows_query = (
        queryset.annotate(
            x_actor=Case(
                When(actor_user__isnull=False, then=Value("coordinator")),
                When(actor_expert__isnull=False, then=Value("expert")),
                default=Value(""),
                output_field=CharField(),
            ),
            x_sequence=F("sequence"),
        )
        .order_by("sequence")
        .values_list("x_sequence", "created_at", "action", "x_actor", "target", "previous_hash", "hash")
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        for sequence, created_at, action, actor, target, previous_hash, digest in stream_rows(rows_query):
            recorded_at = created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            shown_target = _exported_target(action, target)
            yield sequence, recorded_at, neutralise(action), actor, shown_target, previous_hash, digest

    return Table(
        name="audit",
        title="Audit log",
        description="The study's audit events in chain order, with the hashes that chain them: each row's "
        "previous_hash is the hash of the row before. Check every event's own hash with manage.py verify_audit.",
        columns=AUDIT_COLUMNS,
        rows=rows,
        count=queryset.count,
    )
