"""The audit log's hash chain: each event's hash covers the previous one's, and every tampering is named."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.audit import audit
from elicitation.models import AuditEvent
from elicitation.models.audit_chain import GENESIS, chain_findings, chain_head, event_hash

pytestmark = pytest.mark.django_db


def _chain(count: int) -> list[dict]:
    """A valid chain of plain rows, as the command reads them."""
    rows, previous = [], GENESIS
    start = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    for i in range(1, count + 1):
        row: dict[str, Any] = {
            "id": 100 + i,
            "sequence": i,
            "study_id": 7,
            "actor_user_id": 3,
            "actor_expert_id": None,
            "action": f"step.{i}",
            "target": "",
            "detail": {"n": i},
            "created_at": start + dt.timedelta(minutes=i),
            "previous_hash": previous,
        }
        row["hash"] = event_hash(previous, row)
        previous = row["hash"]
        rows.append(row)
    return rows


def test_an_untouched_chain_has_no_findings_and_its_head_is_the_newest_event():
    rows = _chain(5)
    assert chain_findings(rows) == []
    assert chain_head(rows) == (5, rows[-1]["hash"])
    assert chain_head([]) == (0, GENESIS)


def test_the_hash_covers_the_previous_hash_and_every_content_field():
    row = _chain(1)[0]
    assert event_hash("f" * 64, row) != row["hash"]
    for field, other in [("action", "x"), ("target", "t"), ("detail", {"n": 2}), ("actor_user_id", 4)]:
        assert event_hash(row["previous_hash"], {**row, field: other}) != row["hash"], field
    later = row["created_at"] + dt.timedelta(microseconds=1)
    assert event_hash(row["previous_hash"], {**row, "created_at": later}) != row["hash"]


def test_an_edited_event_is_named():
    rows = _chain(5)
    rows[2]["action"] = "something.else"
    findings = chain_findings(rows)
    assert [(f.kind, f.event_id) for f in findings] == [("edited", 103)]
    assert "event 103 (#3 something.else" in findings[0].message


def test_an_event_edited_with_its_hash_recomputed_is_named_by_the_link_the_next_event_holds():
    rows = _chain(5)
    rows[2]["action"] = "something.else"
    rows[2]["hash"] = event_hash(rows[2]["previous_hash"], rows[2])
    assert [(f.kind, f.event_id) for f in chain_findings(rows)] == [("edited", 103)]


def test_a_removed_event_is_named_by_its_neighbours():
    rows = _chain(5)
    del rows[2]
    findings = chain_findings(rows)
    assert [(f.kind, f.event_id) for f in findings] == [("removed", 104)]
    assert "event 102 (#2" in findings[0].message


def test_removing_the_first_event_is_found_too():
    rows = _chain(3)[1:]
    assert [(f.kind, f.event_id) for f in chain_findings(rows)] == [("removed", 102)]


def test_two_swapped_events_are_both_named_as_reordered():
    rows = _chain(5)
    rows[1]["sequence"], rows[2]["sequence"] = 3, 2
    findings = chain_findings(rows)
    assert sorted((f.kind, f.event_id) for f in findings) == [("reordered", 102), ("reordered", 103)]


def test_a_renumbered_event_is_named():
    rows = _chain(3)
    rows[2]["sequence"] = 9
    assert [(f.kind, f.event_id) for f in chain_findings(rows)] == [("renumbered", 103)]


def test_events_are_chained_per_study_from_the_first_one(study_a, study_b):
    first_a = audit(action="one", study=study_a, target="x")
    first_b = audit(action="one", study=study_b)
    second_a = audit(action="two", study=study_a, amount=Decimal("1.50"), when=dt.date(2026, 1, 2), ratio=2.0)
    assert (first_a.sequence, first_a.previous_hash) == (1, GENESIS)
    assert (first_b.sequence, first_b.previous_hash) == (1, GENESIS)
    assert (second_a.sequence, second_a.previous_hash) == (2, first_a.hash)
    stored = AuditEvent.objects.filter(study=study_a).values()
    assert chain_findings(list(stored)) == []


def test_an_event_created_through_the_model_is_chained_too(study_a):
    AuditEvent.objects.create(action="direct", study=study_a)
    event = AuditEvent.objects.create(action="direct again", study=study_a)
    assert event.sequence == 2
    assert chain_findings(list(AuditEvent.objects.filter(study=study_a).values())) == []


@pytest.mark.parametrize("target", ["round 1", 'quote " back\\slash', "control \x01\x1f\t\n end", "中文 ünïcödé 😀"])
@pytest.mark.parametrize("count", [0, 1, 9, 10, 2000, 2**40])
def test_the_content_around_a_number_is_the_content_with_any_number_put_in(target, count):
    """The save's statement hashes ``before + its count + after``: byte for byte what ``canonical_content`` gives."""
    from elicitation.models.audit_chain import GAPS, canonical_content, canonical_content_gaps

    event = {
        "study_id": 7,
        "actor_user_id": None,
        "actor_expert_id": 12,
        "action": "answers.saved",
        "target": target,
        "detail": {"source": "web"},
        "created_at": dt.datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=dt.UTC),
    }
    before, after = canonical_content_gaps({**event, "detail": {"ratings": GAPS[0], "source": "web"}}, GAPS[:1])
    whole = canonical_content({**event, "detail": {"ratings": count, "source": "web"}})
    assert before + str(count).encode() + after == whole


def test_a_content_holding_the_marker_twice_is_refused():
    from elicitation.models.audit_chain import _MARKER, canonical_content_gaps

    event: dict[str, Any] = {
        "study_id": 7,
        "actor_user_id": None,
        "actor_expert_id": 12,
        "action": "answers.saved",
        "target": f"round {_MARKER}",
        "detail": {"ratings": _MARKER},
        "created_at": dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    }
    with pytest.raises(ValueError, match="once"):
        canonical_content_gaps(event, [_MARKER])
