"""The attack suite of issue 14: a curious coordinator and a curious expert try to recover ratings by subtraction.

A real-time study (k = 3) with a panel of ten in two blocs (six and four), strict or standard anonymity.
The experts consent and then save their ratings one at a time through the API (``Authorization:
Invitation``); a real Celery worker aggregates after each save, on PostgreSQL, with Redis as the broker.
After each save the coordinator polls everything they can see and the first expert reloads their feedback
(``tests.security.attack``). The attacker then subtracts every pair of observations.

- No figure anywhere stands on 1 to k - 1 experts (disclosure control, ``analysis.disclosure``).
- No two observations differ by 1 to k - 1 experts, so no rating is recovered, nor attributed by
  participation timing (the publication rule: live results change only in published snapshots that
  add at least k contributors, and in which no shown row, panel or bloc, changed by fewer than k).
- In strict mode participation never says who started.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from elicitation.models import ConsensusRule, Expert, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.api.helpers import token_client
from tests.factories import make_experts, make_round, make_study
from tests.security.attack import Findings, Observation, Observer, attack, wait_for_quiet_worker

pytestmark = [pytest.mark.services, pytest.mark.slow]

K = 3
BLOCS = {"Atlantis": 6, "Borealis": 4}
AREAS = [("verification", "Verification mechanisms")]
CRITERIA = [("B1", "Reduction of shared global risk", "benefit"), ("R1", "Advancing dangerous capabilities", "risk")]


def _value(expert: int, item: int) -> int:
    """Distinct, spread ratings, so a recovered value is unmistakably one expert's."""
    return (expert * 4 + item * 3) % 9 + 1


def _run(coordinator, anonymity: str) -> tuple[list[Observation], list[Expert]]:
    study = make_study(
        coordinator=coordinator,
        title=f"Attack on a {anonymity} study",
        areas=AREAS,
        criteria=CRITERIA,
        blocs=list(BLOCS),
        min_group_size=K,
        anonymity=anonymity,
        mode=Study.Mode.REALTIME,
        feedback_timing=Study.FeedbackTiming.BEFORE,
        aggregation_interval_seconds=0,
    )
    # Every saved answer counts (the real-time setting where each save can change a view): the hardest case
    # for the publication rule. Under the default, submitted answers only, a submission is the change instead.
    ConsensusRule.objects.filter(study=study).update(inclusion=ConsensusRule.Inclusion.ALL_SAVED)
    experts = [e for bloc, n in BLOCS.items() for e in make_experts(study, n, blocs=[bloc])]
    Expert.objects.filter(study=study).update(consented_at=timezone.now())
    round_ = make_round(study, status=Round.Status.OPEN)
    items = list(round_.items.select_related("area", "criterion").order_by("area__order", "criterion__order"))
    atlantis, borealis = experts[:6], experts[6:]
    # Three of each bloc, then two and one: the third batch brings k new experts to the panel but only one
    # to Borealis, whose row would then give that expert's rating by subtraction.
    order = atlantis[:3] + borealis[:3] + atlantis[3:5] + borealis[3:] + atlantis[5:]
    watcher = Client()
    assert watcher.get(reverse("expert-link", args=[token_issue(expert=order[0])])).status_code == 302
    observer = Observer(
        study=study, round_=round_, coordinator=coordinator, api=token_client(coordinator), watcher=watcher
    )
    observations = [observer.observe(after=0)]
    for index, expert in enumerate(order):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
        answers = [
            {"area": str(item.area.uuid), "criterion": str(item.criterion.uuid), "value": _value(expert.number, i)}
            for i, item in enumerate(items)
        ]
        response = client.put(reverse("api-v1:me-ratings"), {"answers": answers}, format="json")
        assert response.status_code == 200, response.content
        wait_for_quiet_worker(round_)
        observations.append(observer.observe(after=index + 1))
    return observations, order


def _report(found: Findings) -> str:
    lines = found.below_k[:5] + found.small_differences[:5]
    lines += [f"recovered expert #{i} on {item}: {value}" for (i, item), value in list(found.recovered.items())[:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("anonymity", [Study.Anonymity.STRICT, Study.Anonymity.STANDARD])
def test_no_view_shows_a_figure_of_fewer_than_k_experts(celery_worker_process, coordinator_a, anonymity):
    observations, order = _run(coordinator_a, anonymity)
    found = attack(observations, k=K, savers=order)
    assert any(key[0] == "api" for seen in observations for key in seen.figures)  # the panel was published
    assert found.below_k == [], _report(found)
    if anonymity == Study.Anonymity.STRICT:
        assert all(not seen.started for seen in observations)  # participation never says who started


@pytest.mark.parametrize("anonymity", [Study.Anonymity.STRICT, Study.Anonymity.STANDARD])
def test_no_rating_is_recovered_by_subtracting_two_views(celery_worker_process, coordinator_a, anonymity):
    observations, order = _run(coordinator_a, anonymity)
    found = attack(observations, k=K, savers=order)
    panel = ("api", 1, AREAS[0][0], CRITERIA[0][0], "")
    published = {seen.figures[panel].n for seen in observations if panel in seen.figures}
    assert len(published) >= 2, published  # the results did change while the round was open...
    feedback = {seen.figures.get(k) for seen in observations for k in seen.figures if k[0] == "feedback"}
    assert len(feedback) >= 2  # ...and so did the watching expert's feedback: the test can see a difference
    assert found.small_differences == [], _report(found)
    assert found.recovered == {}, _report(found)
    assert found.attributed == {}, _report(found)
