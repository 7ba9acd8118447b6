"""Small shared pieces of the API: id parsing, id fields and filters, unknown-field refusal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.core.errors import MAX_ID, parse_id

__all__ = ["MAX_ID", "IdField", "parse_id", "refuse_unknown_fields", "validated_body"]


def refuse_unknown_fields(data: Any, known: Iterable[str]) -> None:
    """A body naming a field the resource does not have is a mistake worth telling the client about."""
    if not isinstance(data, dict):
        return  # the serializer answers "expected an object"
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValidationError({str(name)[:100]: [_("Unknown field.")] for name in unknown})


def validated_body(serializer_class: type[serializers.Serializer], request: Any, **kwargs: Any) -> dict[str, Any]:
    """The request body checked by `serializer_class`: unknown fields refused, errors as 400."""
    body = serializer_class(data=request.data, **kwargs)
    refuse_unknown_fields(request.data, body.fields)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


@extend_schema_field(OpenApiTypes.INT)
class IdField(serializers.IntegerField):
    """A foreign key as its id, read from `<name>_id` (no query) and written back as an int.

    Existence and visibility are checked by the service, so that an invisible row and a missing
    one answer the same.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return getattr(instance, f"{self.source}_id")

    def to_representation(self, value: Any) -> int | None:
        return None if value is None else int(value)


class CleanJSONField(serializers.JSONField):
    """JSON whose strings (keys included) hold no NUL character: PostgreSQL's jsonb cannot store one."""

    default_error_messages = {"nul": _lazy("Text cannot contain NUL (\\x00) characters.")}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if _has_nul(value):
            self.fail("nul")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class IdFormField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(df.NumberFilter):
    """Filter on an id: integers in the database's range only; anything else is a 400."""

    field_class = IdFormField


def raise_filter_errors(errors: dict[str, Any]) -> None:
    raise ValidationError({name: list(messages) for name, messages in errors.items()})
