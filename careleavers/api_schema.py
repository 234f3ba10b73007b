"""The OpenAPI schema's one addition to drf-spectacular's: the error answers, listed on every operation that gives them.

drf-spectacular documents what an operation answers when it works; the answers DRF gives when it does not (a
missing token, a refused permission, a record not found, a throttled client) are left out, so a client
generated from the schema would not know them. `AutoSchema` adds each status where the API can answer it
(docs/decisions/0023); an operation's own `@extend_schema` answers (the statistics' 400 and 403) are kept.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated


class ErrorSerializer(serializers.Serializer):
    """DRF's answer to a request it refuses as a whole."""

    detail = serializers.CharField(help_text="What went wrong, in words.")


class ValidationErrorSerializer(serializers.Serializer):
    """DRF's answer to a request with wrong values: the messages by field (its schema is below)."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "Messages by field or query parameter name (`non_field_errors` for the record as a "
            "whole), or a `detail` when the body could not be read at all.",
            "additionalProperties": {
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
            },
        }


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error statuses each operation can answer."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for status, (serializer, description) in self.error_responses().items():
            schema = self.resolve_serializer(serializer, "response").ref
            responses.setdefault(
                str(status),
                {
                    "content": {media_type: {"schema": schema} for media_type in self.map_renderers("media_type")},
                    "description": description,
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_responses(self) -> dict[int, tuple[type[serializers.Serializer], str]]:
        """The statuses this operation can answer when it refuses a request: serializer and description of each."""
        view, method = self.view, self.method
        permissions = [type(permission) for permission in view.get_permissions()]
        filtered = getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)
        errors = {}
        if method in ("POST", "PUT", "PATCH") or filtered:
            errors[400] = (ValidationErrorSerializer, "A value of the body or of a query parameter is wrong.")
        if permissions != [AllowAny]:
            errors[401] = (ErrorSerializer, "No token or session, or an invalid token.")
        if method not in SAFE_METHODS or any(permission is not IsAuthenticated for permission in permissions):
            errors[403] = (
                ErrorSerializer,
                "The client may not do this (a session client also needs its CSRF token to write).",
            )
        if "{" in self.path or (getattr(view, "action", None) == "list" and view.pagination_class is not None):
            errors[404] = (ErrorSerializer, "No such record among those the client may see, or no such page.")
        if method == "DELETE":
            errors[409] = (ErrorSerializer, "Other records depend on this one.")
        if view.get_throttles():
            errors[429] = (ErrorSerializer, "Too many requests: the client's rate is used up (see Retry-After).")
        return errors
