"""Cursor pagination for the API and the web lists, with a client-chosen sort from a fixed set.

The cursor is a keyset on (sort field, id), so paging stays exact however many rows share a sort
value (DRF's own cursor uses an offset for ties, capped at 1000). A nullable sort field is sorted
through a COALESCE annotation so that empty values page like any other. A cursor a client forged
or mangled answers 404 "Invalid cursor", never a 500.
"""

from __future__ import annotations

import datetime
import json
from base64 import b64decode
from decimal import Decimal
from typing import Any
from urllib import parse

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor
from rest_framework.request import Request

SORT_PREFIX = "kehu_sort_"
MAX_INT = 2**63 - 1
# What an empty value sorts as: before every real one.
EMPTY_SORT_VALUES: dict[type[models.Field], Any] = {
    models.DateTimeField: datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC),
    models.DateField: datetime.date(1900, 1, 1),
    models.DecimalField: Decimal("-1e12"),
    models.IntegerField: -MAX_INT,
    models.FloatField: -1e300,
    models.CharField: "",
    models.TextField: "",
}


def _empty_sort_value(field: models.Field) -> Any:
    for kind, value in EMPTY_SORT_VALUES.items():
        if isinstance(field, kind):
            return value
    return None


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering: Any = ("-id",)
    # Views set `ordering_fields`; `?ordering=name` or `?ordering=-updated_at` picks one of them.
    ordering_param = "ordering"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        allowed = set(getattr(view, "ordering_fields", ()) or ())
        default = tuple(getattr(view, "default_ordering", None) or self.ordering)
        wanted = request.query_params.get(self.ordering_param, "").strip()
        if wanted and wanted.lstrip("-") in allowed:
            tiebreak = "-id" if wanted.startswith("-") else "id"
            return (wanted, tiebreak)
        return default

    # --- keyset on (sort field, id) ---------------------------------------------------------

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        ordering = self.get_ordering(request, queryset, view)
        queryset, self.ordering = self._sortable(queryset, ordering)
        self.cursor = self.decode_cursor(request)
        offset, reverse, position = self.cursor if self.cursor is not None else (0, False, None)
        keys = self._parse_position(queryset, position) if position is not None else None

        order = _reverse(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*order)
        if keys is not None:
            queryset = queryset.filter(self._after(order, keys))
        results = list(queryset[offset:offset + self.page_size + 1])
        self.page = results[: self.page_size]
        has_following = len(results) > len(self.page)
        following = self._get_position_from_instance(results[-1], self.ordering) if has_following else None
        if reverse:
            self.page.reverse()
            self.has_next = position is not None or offset > 0
            self.has_previous = has_following
            self.next_position, self.previous_position = position, following
        else:
            self.has_next = has_following
            self.has_previous = position is not None or offset > 0
            self.next_position, self.previous_position = following, position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def _sortable(
        self, queryset: QuerySet[Any], ordering: tuple[str, ...]
    ) -> tuple[QuerySet[Any], tuple[str, ...]]:
        """Keep (field, id) orderings; sort a nullable field through COALESCE so NULLs page too."""
        fields = [name.lstrip("-") for name in ordering]
        if len(fields) < 2 or fields[-1] not in ("id", "pk"):
            ordering = (ordering[0], "-id" if ordering[0].startswith("-") else "id")
        name = ordering[0].lstrip("-")
        try:
            field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            return queryset, ordering[:2]
        empty = _empty_sort_value(field) if getattr(field, "null", False) else None
        if empty is None:
            return queryset, ordering[:2]
        alias = f"{SORT_PREFIX}{name}"
        annotated = queryset.annotate(**{alias: Coalesce(F(name), Value(empty), output_field=field.clone())})
        sign = "-" if ordering[0].startswith("-") else ""
        return annotated, (f"{sign}{alias}", ordering[1])

    def _sort_field(self, queryset: QuerySet[Any], name: str) -> models.Field:
        name = name.removeprefix(SORT_PREFIX)
        return queryset.model._meta.pk if name in ("pk", "id") else queryset.model._meta.get_field(name)

    def _parse_position(self, queryset: QuerySet[Any], position: str) -> tuple[Any, int]:
        """The cursor's (value, id), converted by the sort field; anything else is an invalid cursor."""
        try:
            raw_value, raw_id = json.loads(position)
            field = self._sort_field(queryset, self.ordering[0].lstrip("-"))
            value = field.to_python(raw_value)
            row_id = int(raw_id)
        except (TypeError, ValueError, ValidationError, FieldDoesNotExist, ArithmeticError):
            raise NotFound(self.invalid_cursor_message) from None
        if not isinstance(raw_id, int) or not 0 <= row_id <= MAX_INT or _out_of_range(value):
            raise NotFound(self.invalid_cursor_message)
        return value, row_id

    def _after(self, order: tuple[str, ...], keys: tuple[Any, int]) -> Q:
        """Rows strictly after (value, id) in `order`."""
        (first, second), (value, row_id) = order, keys
        name, tie = first.lstrip("-"), second.lstrip("-")
        op = "lt" if first.startswith("-") else "gt"
        tie_op = "lt" if second.startswith("-") else "gt"
        after = Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"{tie}__{tie_op}": row_id})
        # The redundant range bound in front gives the planner an index range to scan.
        return after if value is None else Q(**{f"{name}__{op}e": value}) & after

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            tokens = parse.parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError, UnicodeError):
            raise NotFound(self.invalid_cursor_message) from None
        return Cursor(offset=0, reverse=reverse, position=position)

    def _get_position_from_instance(self, instance: Any, ordering: Any) -> str:
        name = ordering[0].lstrip("-")
        value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
        row_id = instance["id"] if isinstance(instance, dict) else instance.pk
        return json.dumps([_jsonable(value), row_id], ensure_ascii=True, separators=(",", ":"))


def _reverse(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _out_of_range(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > MAX_INT
    if isinstance(value, Decimal):
        return not value.is_finite() or abs(value) >= Decimal("1e15")
    if isinstance(value, float):
        return value != value or abs(value) > 1e300
    return False
