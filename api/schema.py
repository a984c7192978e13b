"""The OpenAPI schema documents the JSON errors every API operation can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()
    field_errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


ERRORS = {
    "400": "Invalid input: `field_errors` names each field and its problems.",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "Authenticated, but not allowed (e.g. a session request without its CSRF token).",
    "404": "Not found, or an object of a study you do not coordinate (never revealed).",
}


def deprecated(*names: str) -> Any:
    """Mark a serializer's fields as deprecated aliases in the schema (kept for one version, docs/exports.md)."""
    return extend_schema_serializer(deprecate_fields=list(names))


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if not self.path.startswith("/api/v1/"):
            return responses
        for code, description in ERRORS.items():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(error, code, ["application/json"])
        return responses


class ProblemSerializer(serializers.Serializer[dict[str, Any]]):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportErrorSerializer(ErrorSerializer):
    """A refused import: nothing was written; each problem names its line and column."""

    problems = ProblemSerializer(many=True)


def closed_request_bodies(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every request body of ours refuses unknown keys
    (``api.inputs.StrictInput``), and the schema says so (``additionalProperties: false``)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component["additionalProperties"] = False
    return result
