"""Who counts: results, feedback and participation agree on the experts behind a number.

Measured: feedback said "6 experts rated it" while participation said 5 submitted, because saved but
unsubmitted answers were counted. Results now count submitted answers by default; a study's frozen rule
can count every saved answer instead, and then all three say 6.
"""

from __future__ import annotations

import pytest

from aggregation.models import ItemResult
from aggregation.services import round_aggregate
from elicitation.dashboard.selectors import participation
from elicitation.expert.selectors import round_feedback
from elicitation.models import ConsensusRule, Round, Study
from tests.factories import change_rule, make_experts, make_round, make_study, rate_everything

pytestmark = pytest.mark.django_db


def six_experts_five_submitted_under(inclusion: str | None = None) -> tuple[Study, Round, Round]:
    study = make_study(title="Six experts", min_group_size=3)
    if inclusion is not None:  # the coordinator's rule, saved before round 1 opens and freezes it
        change_rule(study, inclusion=inclusion)
    experts = make_experts(study, 6)
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first, [7, 8, 7, 9, 8, 2])
    first.participations.filter(expert=experts[5]).update(submitted_at=None)  # saved, never submitted
    second = make_round(study, status=Round.Status.OPEN)
    return study, first, second


@pytest.fixture
def six_experts_five_submitted() -> tuple[Study, Round, Round]:
    return six_experts_five_submitted_under()


def counts(study: Study, first: Round, second: Round) -> tuple[int, int, int]:
    round_aggregate(round_id=first.pk)
    item = first.items.select_related("area", "criterion").first()
    assert item is not None
    stored = ItemResult.objects.get(round=first, group="", area=item.area, criterion=item.criterion)
    expert = study.experts.first()
    assert expert is not None
    shown = round_feedback(round_=second, expert=expert, items=[((item.area_id, item.criterion_id), 1, 9)]).items[
        (item.area_id, item.criterion_id)
    ]
    submitted = next(entry for entry in participation(study) if entry.number == 1).total.submitted
    return stored.n + stored.n_cannot_judge, shown.n + shown.cannot_judge, submitted


def test_results_feedback_and_participation_count_the_same_submitted_experts(six_experts_five_submitted) -> None:
    assert counts(*six_experts_five_submitted) == (5, 5, 5)


def test_a_rule_counting_all_saved_answers_counts_the_unsubmitted_expert_everywhere_but_participation() -> None:
    study, first, second = six_experts_five_submitted_under(ConsensusRule.Inclusion.ALL_SAVED)
    assert first.consensus_rule is not None
    assert first.consensus_rule.inclusion == ConsensusRule.Inclusion.ALL_SAVED  # the rule round 1 froze
    stored, shown, submitted = counts(study, first, second)
    assert (stored, shown) == (6, 6)
    assert submitted == 5  # participation still says who submitted; the rule says results count all six
