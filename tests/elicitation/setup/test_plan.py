"""The analysis plan: a draft until round 1 opens, then frozen with its hash; later changes need a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.plan import content_sha256, plan_content, plan_diff
from core.errors import InvalidInput
from elicitation.models import AnalysisPlan, AuditEvent, Study
from elicitation.rounds.services.lifecycle import round_open
from elicitation.setup.services.rules import rule_save
from elicitation.setup.services.studies import study_update_settings
from tests.elicitation.setup.test_views_flows import settings_data
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def open_round_1(study: Study, user) -> None:
    round_open(round=make_round(study), user=user, deadline=timezone.now() + dt.timedelta(days=7))


def test_the_hash_is_the_contents_and_nothing_else(study_a):
    content = plan_content(study_a, study_a.current_rule())
    same = plan_content({**vars(study_a), "benefit_threshold": Decimal("7.0")}, study_a.current_rule())
    assert content == same  # 7 and 7.0 are the same threshold
    assert content_sha256(content) == content_sha256(dict(reversed(list(content.items()))))
    assert len(content_sha256(content)) == 64
    changed = {**content, "quantile_method": "linear"}
    assert content_sha256(changed) != content_sha256(content)
    assert plan_diff(content, changed) == [{"setting": "quantile_method", "before": "weibull", "after": "linear"}]


def test_before_round_1_edits_update_the_draft_and_the_hash_follows_the_content(study_a, coordinator_a):
    study_update_settings(study=study_a, user=coordinator_a, quantile_method="linear")
    draft = AnalysisPlan.objects.get(study=study_a)
    assert (draft.version, draft.is_frozen, draft.content["quantile_method"]) == (1, False, "linear")
    linear_hash = draft.content_sha256
    study_update_settings(study=study_a, user=coordinator_a, quantile_method="weibull")
    study_update_settings(study=study_a, user=coordinator_a, quantile_method="linear")
    draft.refresh_from_db()
    assert AnalysisPlan.objects.filter(study=study_a).count() == 1
    assert draft.content_sha256 == linear_hash  # content-addressed: back to the same content, the same hash
    assert AuditEvent.objects.filter(study=study_a, action="plan.edited").count() == 2


def test_round_1_opening_freezes_the_plan_with_the_rule_in_it(study_a, coordinator_a):
    open_round_1(study_a, coordinator_a)
    plan = AnalysisPlan.objects.get(study=study_a)
    round_1 = study_a.rounds.get(number=1)
    assert plan.frozen_at == round_1.opened_at
    assert plan.content_sha256 == content_sha256(plan.content)
    assert plan.content["rule"]["max_iqr"] == "1"
    assert plan.content["min_group_size"] == study_a.min_group_size
    rule = study_a.current_rule()
    assert rule is not None
    assert rule.frozen_at == plan.frozen_at  # one freeze: the rule's is the plan's
    assert AuditEvent.objects.filter(study=study_a, action="plan.frozen", target="v1").exists()


def test_after_freezing_a_change_without_a_reason_is_refused_and_nothing_is_saved(study_a, coordinator_a):
    open_round_1(study_a, coordinator_a)
    with pytest.raises(InvalidInput) as refused:
        study_update_settings(study=study_a, user=coordinator_a, quantile_method="linear")
    assert "reason" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        rule_save(study=study_a, user=coordinator_a, max_iqr=2, band="high", min_percent_in_band=70)
    assert "reason" in refused.value.field_errors
    study_a.refresh_from_db()
    assert study_a.quantile_method == "weibull"
    assert study_a.consensus_rules.count() == 1
    assert AnalysisPlan.objects.filter(study=study_a).count() == 1


def test_a_change_with_a_reason_is_a_new_version_and_a_deviation_in_the_audit_log(study_a, coordinator_a):
    open_round_1(study_a, coordinator_a)
    study_update_settings(study=study_a, user=coordinator_a, quantile_method="linear", reason="Match R's quartiles")
    v1, v2 = AnalysisPlan.objects.filter(study=study_a).order_by("version")
    assert (v2.version, v2.reason, v2.created_by, v2.during_round) == (2, "Match R's quartiles", coordinator_a, 1)
    assert v2.is_frozen
    assert v1.content_sha256 != v2.content_sha256
    event = AuditEvent.objects.get(study=study_a, action="plan.deviation")
    assert event.target == "v2"
    assert event.detail["reason"] == "Match R's quartiles"
    assert event.detail["changes"] == [{"setting": "quantile_method", "before": "weibull", "after": "linear"}]
    # A setting outside the plan needs no reason and makes no version.
    study_update_settings(study=study_a, user=coordinator_a, title="Renamed")
    assert AnalysisPlan.objects.filter(study=study_a).count() == 2


def test_the_rule_page_asks_for_a_reason_once_the_plan_is_frozen(client, study_a, coordinator_a):
    open_round_1(study_a, coordinator_a)
    client.force_login(coordinator_a)
    url = reverse("study-rule", args=[study_a.uuid])
    parts = {"max_iqr": "1.5", "band": "high", "min_percent_in_band": "75"}
    refused = client.post(url, parts)
    assert refused.status_code == 400
    assert "say why it changes" in refused.content.decode()
    assert study_a.consensus_rules.count() == 1
    saved = client.post(url, {**parts, "reason": "Pilot panel found 1 point too strict"})
    assert saved.status_code == 302
    assert study_a.consensus_rules.count() == 2
    plan = AnalysisPlan.objects.filter(study=study_a).order_by("-version").first()
    assert plan is not None
    assert (plan.version, plan.content["rule"]["max_iqr"]) == (2, "1.5")


def test_the_settings_page_asks_for_a_reason_once_the_plan_is_frozen(client, study_a, coordinator_a):
    open_round_1(study_a, coordinator_a)
    client.force_login(coordinator_a)
    url = reverse("study-settings", args=[study_a.uuid])
    data = settings_data(study_a, anonymity="standard", mode="classic", feedback_timing="after_own",
                         default_language="en", min_group_size=5, quantile_method="linear")  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "say why it changes" in refused.content.decode()
    study_a.refresh_from_db()
    assert study_a.quantile_method == "weibull"
    saved = client.post(url, {**data, "reason": "Type 7, as the protocol says"})
    assert saved.status_code == 302
    assert AnalysisPlan.objects.filter(study=study_a, version=2, reason="Type 7, as the protocol says").exists()
