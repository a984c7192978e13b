"""How every list of the API pages and filters: limit/offset pages and query-string filters that refuse
what they cannot use (a 400 naming the parameter) rather than ignoring it."""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

STUDY_PARAMETER = OpenApiParameter("study", OpenApiTypes.UUID, description="Only objects of this study.")


class Pagination(LimitOffsetPagination):
    """Limit/offset pages; a malformed, repeated or out-of-range ``limit`` or ``offset`` is a 400, never ignored."""

    default_limit = 100
    max_limit = 1000
    max_offset = 2_147_483_647

    def get_limit(self, request: Request) -> int | None:
        limit = _page_parameter(request, self.limit_query_param, minimum=1, maximum=self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        offset = _page_parameter(request, self.offset_query_param, minimum=0, maximum=self.max_offset)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, self.max_offset)}
        for parameter in parameters:
            parameter["schema"]["minimum"], parameter["schema"]["maximum"] = bounds[parameter["name"]]
        return parameters


def _page_parameter(request: Request, name: str, *, minimum: int, maximum: int) -> int | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: [_("Give this parameter once.")]})
    text = values[0]
    if not re.fullmatch(r"\d{1,20}", text) or not minimum <= int(text) <= maximum:
        bounds = {"min": minimum, "max": maximum}
        raise ValidationError({name: [_("Must be a whole number from %(min)d to %(max)d.") % bounds]})
    return int(text)


class QueryFilters(serializers.Serializer[dict[str, Any]]):
    """Query-string filters: a filter given empty or more than once is a 400, never silently dropped."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        repeatable = [name for name, field in self.fields.items() if isinstance(field, serializers.ListField)]
        data = _commas_split(data, repeatable)
        errors: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            given = data.getlist(name) if hasattr(data, "getlist") else [data[name]] if name in data else []
            if isinstance(field, serializers.ListField):  # a repeatable filter (?rounds=1&rounds=2)
                if "" in given:
                    errors[name] = [_("This field may not be blank.")]
            elif len(given) > 1:
                errors[name] = [_("Give this parameter once.")]
            elif given == [""] and not getattr(field, "allow_blank", False):
                errors[name] = [_("This field may not be blank.")]
        if errors:
            raise ValidationError(errors)
        return super().to_internal_value(data)


def _commas_split(data: Any, names: list[str]) -> Any:
    """A repeatable filter given as one comma-separated value too: ``rounds=1,2`` is ``rounds=1&rounds=2``."""
    if not names or not isinstance(data, QueryDict):
        return data
    split = data.copy()
    for name in names:
        if name in data:
            split.setlist(name, [part.strip() for value in data.getlist(name) for part in value.split(",")])
    return split


class ListFilters(QueryFilters):
    study = serializers.UUIDField(required=False)
    round = serializers.UUIDField(required=False)


class ParticipationFilters(ListFilters):
    """``rounds`` by number, as the export tables and ``aggregates/``; ``round`` (a UUID) is its deprecated alias."""

    rounds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2_147_483_647), required=False, max_length=1000
    )


ROUNDS_PARAMETER = OpenApiParameter(
    "rounds",
    OpenApiTypes.INT,
    many=True,
    description="Only these round numbers (the export tables' name): `rounds=1&rounds=2`, or `rounds=1,2`.",
)
DEPRECATED_ROUND_PARAMETER = OpenApiParameter(
    "round", OpenApiTypes.UUID, deprecated=True, description="Only this round (by UUID). Deprecated: use `rounds`."
)
