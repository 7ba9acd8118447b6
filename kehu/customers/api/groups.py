"""`/api/v1/groups/` (static groups and saved segments) and `/api/v1/tags/`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.core.api.fields import parse_id, refuse_unknown_fields
from kehu.core.errors import NotFound
from kehu.customers import services
from kehu.customers.api.pagination import CountedCursorPagination
from kehu.customers.api.serializers import (
    CustomerSerializer,
    GroupSerializer,
    MemberChangeSerializer,
    MemberIdsSerializer,
    TagSerializer,
)
from kehu.customers.filters import ORDERING_FIELDS
from kehu.customers.group_selectors import group_member_counts, visible_members_q
from kehu.customers.models import CustomerGroup, GroupKind, Tag
from kehu.customers.selectors import customer_list

GROUP_WRITABLE = ("name", "kind", "description", "filters")


class GroupViewSet(viewsets.ModelViewSet):
    """Groups are shared names; their members and counts are always limited to visible cards."""

    scoped = True
    serializer_class = GroupSerializer
    ordering_fields = ("name", "created_at")
    default_ordering = ("name", "id")
    lookup_value_regex = r"[0-9]+"
    filterset_class = None
    queryset = CustomerGroup.objects.none()

    def get_queryset(self) -> QuerySet[CustomerGroup]:
        members = visible_members_q(self.request.user, "members")
        return CustomerGroup.objects.annotate(static_count=Count("members", filter=members, distinct=True))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "member_count": self._member_counter()}

    def _member_counter(self) -> Callable[[CustomerGroup], int]:
        segment_counts: dict[int, int] = {}

        def count(group: CustomerGroup) -> int:
            if group.kind == GroupKind.STATIC and hasattr(group, "static_count"):
                return int(group.static_count)
            # A segment is its stored filter, evaluated now over what the user may see. A page of
            # groups counts all its segments in one aggregate query instead of one COUNT each.
            if self.action == "list":
                if not segment_counts:
                    segment_counts.update(
                        (g.pk, g.member_count or 0)
                        for g in group_member_counts(user=self.request.user) if g.kind == GroupKind.SEGMENT
                    )
                return segment_counts.get(group.pk, 0)
            return self._members(group).count()

        return count

    def _members(self, group: CustomerGroup) -> QuerySet[Any]:
        return customer_list(user=self.request.user, params={"group": str(group.pk)}).qs

    def _get(self, pk: Any) -> CustomerGroup:
        group = self.get_queryset().filter(pk=parse_id(pk)).first()
        if group is None:
            raise NotFound
        return group

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._group_data(request, partial=False)
        group = services.group_create(actor=request.user, data=data)
        return Response(self.get_serializer(self._get(group.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._group_data(request, partial=kwargs.get("partial", False))
        group = services.group_update(actor=request.user, group_id=parse_id(kwargs["pk"]), data=data)
        return Response(self.get_serializer(self._get(group.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.group_delete(actor=request.user, group_id=parse_id(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=CustomerSerializer(many=True), request=None)
    @extend_schema(methods=["POST", "DELETE"], request=MemberIdsSerializer, responses=MemberChangeSerializer)
    @action(detail=True, methods=["get", "post", "delete"], pagination_class=CountedCursorPagination,
            ordering_fields=ORDERING_FIELDS, default_ordering=("-updated_at", "-id"))
    def members(self, request: Request, pk: str) -> Response:
        """GET: the visible members (a segment's filter evaluated now). POST/DELETE: add/remove ids."""
        group = self._get(pk)
        if request.method == "GET":
            page = self.paginate_queryset(self._members(group))
            rows = CustomerSerializer(page, many=True, context=self.get_serializer_context()).data
            return self.get_paginated_response(rows)
        body = MemberIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.group_add_members if request.method == "POST" else services.group_remove_members
        ids = body.validated_data["customer_ids"]
        changed = change(actor=request.user, group_id=group.pk, customer_ids=ids)
        return Response({"changed": changed})

    def _group_data(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, serializer.fields)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if k in GROUP_WRITABLE}


class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tags carried by at least one card the user can see, with how many such cards carry each."""

    scoped = True
    serializer_class = TagSerializer
    ordering_fields = ("name",)
    default_ordering = ("name", "id")
    filterset_class = None
    queryset = Tag.objects.none()

    def get_queryset(self) -> QuerySet[Tag]:
        visible = visible_members_q(self.request.user, "customers")
        return Tag.objects.annotate(customer_count=Count("customers", filter=visible, distinct=True)).filter(
            customer_count__gt=0
        )
