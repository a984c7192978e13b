"""The exported audit table: the study's chain in order, with no client address or user name."""

import itertools

import pytest

from core.audit import audit
from exports.tables import build_table, scope_for

pytestmark = pytest.mark.django_db


def test_it_lists_the_studys_chain_in_order_and_withholds_personal_targets(study_a, study_b, coordinator_a):
    expert = study_a.experts.first()
    audit(action="study.coordinator_added", study=study_a, user=coordinator_a, target="bob")
    audit(action="expert.link_refused", study=study_a, target="203.0.113.9", via="web")
    audit(action="expert.link_opened", study=study_a, expert=expert, target=expert.pseudonym)
    audit(action="round.open", study=study_a, user=coordinator_a, target="round 1")
    audit(action="expert.note", study=study_a, target="mail me at someone@example.org")
    audit(action="round.open", study=study_b, target="round 1")

    table = build_table("audit", scope_for(study_a))
    rows = list(table.rows())
    assert table.count() == len(rows) == 5
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("study.coordinator_added", "coordinator", ""),
        ("expert.link_refused", "", ""),
        ("expert.link_opened", "expert", expert.pseudonym),
        ("round.open", "coordinator", "round 1"),
        ("expert.note", "", ""),
    ]
    assert rows[0][5] == "0" * 64
    assert all(later[5] == earlier[6] for earlier, later in itertools.pairwise(rows))
    assert rows[0][1].endswith("Z")
    assert table.column_names == ["sequence", "recorded_at", "action", "actor", "target", "previous_hash", "hash"]


def test_the_team_changes_are_exported_without_the_user_names(study_a, coordinator_a, coordinator_b):
    from elicitation.models import StudyMember
    from elicitation.setup.services.members import study_member_add, study_member_change_role, study_member_remove

    member = study_member_add(study=study_a, username="bob", role="observer", user=coordinator_a)
    study_member_change_role(study=study_a, member=member, role="analyst", user=coordinator_a)
    study_member_remove(study=study_a, member=StudyMember.objects.get(pk=member.pk), user=coordinator_a)

    rows = list(build_table("audit", scope_for(study_a)).rows())
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("study.member_added", "coordinator", ""),
        ("study.member_role_changed", "coordinator", ""),
        ("study.member_removed", "coordinator", ""),
    ]
    assert not any("bob" in str(cell) for row in rows for cell in row)
