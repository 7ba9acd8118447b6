"""`/api/v1/grants/`: loans of cards (借阅) — ask, approve, refuse, revoke; pending/active/past lists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.accounts.models import AccessGrant
from kehu.core.api.fields import parse_id
from kehu.core.errors import NotFound
from kehu.customers import services
from kehu.customers.api.serializers import (
    GrantApproveSerializer,
    GrantNoteSerializer,
    GrantRequestSerializer,
    GrantSerializer,
)
from kehu.customers.selectors import grant_lists

GRANT_STATES = ("pending", "active", "past")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter(
        "state", OpenApiTypes.STR, enum=GRANT_STATES,
        description="pending, active or past; all of them when absent.",
    )]),
)
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Loans the user asked for or may decide (the owner's manager, a custodian, an admin)."""

    scoped = True
    serializer_class = GrantSerializer
    ordering_fields = ("requested_at",)
    default_ordering = ("-requested_at", "-id")
    lookup_value_regex = r"[0-9]+"
    filterset_class = None
    queryset = AccessGrant.objects.none()

    def get_queryset(self) -> QuerySet[AccessGrant]:
        lists = grant_lists(user=self.request.user)
        state = self.request.query_params.get("state", "")
        if self.action != "list" or not state:
            return lists["pending"] | lists["active"] | lists["past"]
        if state not in GRANT_STATES:
            raise ValidationError({"state": [_("Choose pending, active or past.")]})
        return lists[state]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    @extend_schema(request=GrantRequestSerializer, responses={201: GrantSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = GrantRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.grant_request(actor=request.user, request=request, **body.validated_data)
        return Response(self.get_serializer(self._get(grant.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GrantApproveSerializer, responses=GrantSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        body = GrantApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.grant_decide(
            actor=request.user, grant_id=parse_id(pk), approve=True, request=request, **body.validated_data
        )
        return Response(self.get_serializer(self._get(grant.pk)).data)

    @extend_schema(request=GrantNoteSerializer, responses=GrantSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        body = GrantNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.grant_decide(
            actor=request.user, grant_id=parse_id(pk), approve=False, request=request,
            note=body.validated_data["note"],
        )
        return Response(self.get_serializer(self._get(grant.pk)).data)

    @extend_schema(request=GrantNoteSerializer, responses=GrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        body = GrantNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.grant_revoke(actor=request.user, grant_id=parse_id(pk), request=request,
                                      note=body.validated_data["note"])
        return Response(self.get_serializer(self._get(grant.pk)).data)

    def _get(self, pk: Any) -> AccessGrant:
        grant = self.get_queryset().filter(pk=parse_id(pk)).first()
        if grant is None:
            raise NotFound
        return grant
