"""The customer list's pages also say how many cards match the filter (up to 10,000)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.core.api.pagination import CursorPagination
from kehu.core.pagination import capped_count


class CountedCursorPagination(CursorPagination):
    """Cursor pages plus `count`: the total for the filter, counted up to 10,000 (one capped COUNT
    query per page); `count_capped` is true when there are more, and `count` is then 10,000."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.total = capped_count(queryset)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({
            "count": self.total.value,
            "count_capped": self.total.capped,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {
            "count": {"type": "integer", "example": 123, "maximum": 10_000},
            "count_capped": {"type": "boolean", "example": False},
            **response["properties"],
        }
        response["required"] = ["count", "count_capped", "next", "previous", "results"]
        return response
