"""One shape for API errors: 400 {field: [messages]}, 404, 403, 409 {detail, current}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kehu.core.errors import Forbidden, NotFound, VersionConflict


def nest_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """`custom.shelf_count` → {"custom": {"shelf_count": [...]}}, as the API client sent it."""
    out: dict[str, Any] = {}
    for key, messages in errors.items():
        if key == "__all__":
            key = "non_field_errors"
        head, dot, tail = key.partition(".")
        if dot:
            out.setdefault(head, {})[tail] = messages
        else:
            out[key] = messages
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        data = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(nest_errors(data), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, VersionConflict):
        serializer_class = getattr(context.get("view"), "conflict_serializer", None)
        current = serializer_class(exc.current, context=context).data if serializer_class else None
        return Response(
            {"detail": _("This record was changed by someone else; review the current values and retry."),
             "code": "version_conflict", "current": current},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotFound):
        exc = exceptions.NotFound()
    elif isinstance(exc, Forbidden):
        exc = exceptions.PermissionDenied(exc.message or None)
    return drf_exception_handler(exc, context)
