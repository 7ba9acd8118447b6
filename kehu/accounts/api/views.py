"""Accounts over REST: token login/logout, org units, users and the audit log."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.contrib.auth import authenticate
from django.contrib.auth import logout as session_logout
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kehu.accounts import scope, services
from kehu.accounts.api.serializers import (
    AuditEventSerializer,
    OrgUnitSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from kehu.accounts.audit import audit_record
from kehu.accounts.filters import AuditEventFilter
from kehu.accounts.models import AuditAction, AuditEvent, OrgUnit, User
from kehu.core.api.fields import IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import NotFound


class TokenView(APIView):
    """Exchange a username and password for an API token (audited; failures too)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # authenticate() sends user_login_failed with the request, which writes the audit row.
        user = authenticate(request._request, **body.validated_data)
        if user is None:
            return Response(
                {"non_field_errors": [_("Wrong username or password, or the account is disabled.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action=AuditAction.LOGIN, request=request, detail={"via": "api-token"})
        return Response({"token": token.key})


class LogoutView(APIView):
    """End the API session: the token is deleted (a browser session is logged out as well)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user = request.user
        if isinstance(request.auth, Token):
            request.auth.delete()
            audit_record(actor=user, action=AuditAction.LOGOUT, request=request, detail={"via": "api-token"})
        else:
            session_logout(request._request)  # the user_logged_out signal audits it
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminWritesMixin:
    """Reads for every signed-in user per scope; writes through the admin-only services."""

    write_services: dict[str, Any] = {}
    request: Request

    def _get(self, pk: Any) -> Any:
        obj = self.get_queryset().filter(pk=parse_id(pk)).first()  # type: ignore[attr-defined]
        if obj is None:
            raise NotFound
        return obj

    def _body(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)  # type: ignore[attr-defined]
        refuse_unknown_fields(request.data, serializer.fields)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)  # type: ignore[attr-defined]


class OrgUnitViewSet(AdminWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = OrgUnitSerializer
    ordering_fields = ("code", "name")
    default_ordering = ("id",)
    lookup_value_regex = r"[0-9]+"
    filterset_class = None
    filter_backends = [StrictFilterBackend]
    queryset = OrgUnit.objects.none()

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.all()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, partial=False)
        unit = services.org_unit_create(actor=request.user, data=data, request=request)
        return Response(self.get_serializer(unit).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, partial=kwargs.get("partial", False))
        unit = services.org_unit_update(actor=request.user, unit_id=parse_id(kwargs["pk"]), data=data,
                                        request=request)
        return Response(self.get_serializer(unit).data)


class UserFilter(df.FilterSet):
    role = df.CharFilter()
    org_unit = IdFilter(field_name="org_unit_id")
    is_active = df.BooleanFilter()

    class Meta:
        model = User
        fields: list[str] = []


class UserViewSet(AdminWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Users the asking user may list (everyone, their subtree, or themselves)."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("username",)
    default_ordering = ("username", "id")
    lookup_value_regex = r"[0-9]+"
    queryset = User.objects.none()

    def get_queryset(self) -> QuerySet[User]:
        visible = scope.users_visible_q(self.request.user)
        users = User.objects.all()
        return users if visible is None else users.filter(visible)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, partial=False)
        user = services.user_create(actor=request.user, data=data, request=request)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, partial=kwargs.get("partial", False))
        user_id = parse_id(kwargs["pk"])
        user = services.user_update(actor=request.user, user_id=user_id, data=data, request=request)
        return Response(self.get_serializer(user).data)


Events = QuerySet[AuditEvent]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The append-only audit log: auditors, custodians and administrators only."""

    scoped = True
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("at",)
    default_ordering = ("-at", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = AuditEvent.objects.none()

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if not scope.can_read_audit_log(self.request.user):
            raise PermissionDenied(_("Only auditors, data custodians and administrators read the audit log."))
        return AuditEvent.objects.all()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_queryset().filter(pk=parse_id(kwargs["pk"])).first()
        if event is None:
            raise NotFound
        return Response(self.get_serializer(event).data)

    @action(detail=False, methods=["get"])
    def flags(self, request: Request) -> Response:
        """Users flagged for opening more distinct cards within an hour than the threshold."""
        events = self.filter_queryset(self.get_queryset().filter(action=AuditAction.BULK_VIEW_FLAG))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
