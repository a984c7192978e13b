"""Every coordinator page on the study and rounds URL modules, with its URL filled in for one study."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, reverse

from elicitation.models import (
    AreaResponse,
    Expert,
    PilotResponse,
    SavedTemplate,
    Study,
    WebhookDelivery,
    WebhookEndpoint,
)
from elicitation.rounds import urls as urls_rounds
from elicitation.setup import urls as urls_study


def _patterns(patterns: list[URLPattern | URLResolver]) -> list[URLPattern]:
    found: list[URLPattern] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found.extend(_patterns(entry.url_patterns))
        else:
            found.append(entry)
    return found


def coordinator_urls(study: Study, *, expert: Expert | None = None) -> list[str]:
    """The URL of every named pattern, for ``study``; a pattern with an unknown parameter fails loudly."""
    expert = expert or study.experts.order_by("number").first()
    round_ = study.rounds.order_by("number").first()
    values = {
        "study_uuid": study.uuid,
        "area_uuid": study.areas.order_by("order").first().uuid,  # type: ignore[union-attr]
        "criterion_uuid": study.criteria.order_by("order").first().uuid,  # type: ignore[union-attr]
        "expert_uuid": expert.uuid if expert else None,
        "round_uuid": round_.uuid if round_ else None,
        "response_id": AreaResponse.objects.filter(round__study=study).values_list("pk", flat=True).first(),
        "member_uuid": study.memberships.order_by("pk").values_list("uuid", flat=True).first(),  # the team's routes
        "template_uuid": SavedTemplate.objects.filter(owner__in=study.coordinators)
        .order_by("pk")
        .values_list("uuid", flat=True)
        .first(),
        "pilot_uuid": PilotResponse.objects.filter(round__study=study)
        .order_by("pk")
        .values_list("uuid", flat=True)
        .first(),
        "endpoint_uuid": WebhookEndpoint.objects.filter(study=study)
        .order_by("pk")
        .values_list("uuid", flat=True)
        .first(),
        "delivery_uuid": WebhookDelivery.objects.filter(endpoint__study=study)
        .order_by("pk")
        .values_list("uuid", flat=True)
        .first(),
    }
    urls = []
    for pattern in _patterns([*urls_study.urlpatterns, *urls_rounds.urlpatterns]):
        names = list(pattern.pattern.regex.groupindex)
        unknown = [name for name in names if name not in values]
        assert not unknown, f"tests/security/pages.py does not know how to fill {unknown} of {pattern.name}"
        kwargs = {name: values[name] for name in names}
        if any(value is None for value in kwargs.values()):
            continue
        urls.append(reverse(str(pattern.name), kwargs=kwargs))
    return urls
