"""Cursor pagination for the API and the web lists, with a client-chosen sort from a fixed set."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request


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
