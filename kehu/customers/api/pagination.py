"""The customer list's pages also say how many cards match the filter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.core.api.pagination import CursorPagination


class CountedCursorPagination(CursorPagination):
    """Cursor pages plus `count`: the total for the filter (one COUNT query per page)."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({
            "count": self.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {"count": {"type": "integer", "example": 123}, **response["properties"]}
        response["required"] = ["count", "next", "previous", "results"]
        return response
