"""`/api/v1/handovers/`: leave and departure handovers (交接), their items, and the report.

Thin: serializers parse and render; the rules live in `kehu.field.services.handover`. The list
starts from `Handover.objects.visible_to(user)` plus the handovers naming the user as successor;
a successor sees only their own items. Invisible handovers answer 404.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID, IdField, IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.pdf import PdfUnavailable
from kehu.field.models import Handover, HandoverItem, HandoverKind, HandoverState
from kehu.field.selectors import handover as selectors
from kehu.field.services import handover as services

CONFLICT = OpenApiResponse(description=gettext_lazy("Stale version: the body carries the current handover under `current`."))
PDF = "application/pdf"


class HandoverItemSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    successor = IdField(read_only=True)
    successor_name = serializers.CharField(source="successor.__str__", read_only=True)
    grant = IdField(read_only=True)

    class Meta:
        model = HandoverItem
        fields = ["id", "customer", "customer_code", "customer_name", "successor", "successor_name", "grant",
                  "snapshot", "moved", "acknowledged_at"]
        read_only_fields = fields


class HandoverSerializer(serializers.ModelSerializer):
    rep = IdField(read_only=True)
    rep_name = serializers.CharField(source="rep.__str__", read_only=True)
    created_by = IdField(read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "kind", "rep", "rep_name", "starts_on", "ends_on", "status", "note", "created_by",
                  "applied_at", "version", "created_at"]
        read_only_fields = fields


class HandoverDetailSerializer(HandoverSerializer):
    """One handover with the items the asking user may see (a successor: only their own)."""

    items = serializers.SerializerMethodField()

    class Meta(HandoverSerializer.Meta):
        fields = [*HandoverSerializer.Meta.fields, "items"]
        read_only_fields = fields

    @extend_schema_field(HandoverItemSerializer(many=True))
    def get_items(self, handover: Handover) -> list[dict[str, Any]]:
        items = selectors.handover_items(user=self.context["request"].user, handover=handover)
        return list(HandoverItemSerializer(items, many=True).data)


class HandoverCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HandoverKind.choices)
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    delegate = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                        help_text=gettext_lazy("Leave: who takes over the cards for the dates."))
    successors = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=50,
        help_text=gettext_lazy("Departure: the users among whom the cards are shared out."))
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False, help_text=gettext_lazy("Leave: the last day of the leave."))
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == HandoverKind.LEAVE and "delegate" not in attrs:
            raise serializers.ValidationError({"delegate": [gettext_lazy("Choose who takes over during the leave.")]})
        if attrs["kind"] == HandoverKind.DEPARTURE and not attrs.get("successors"):
            raise serializers.ValidationError({"successors": [gettext_lazy("Choose at least one successor.")]})
        return attrs


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class SuggestSerializer(VersionSerializer):
    successors = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                       max_length=50)


class AssignmentSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    successor = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class AssignSerializer(VersionSerializer):
    items = AssignmentSerializer(many=True, max_length=10_000)


class HandoverFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=HandoverKind.choices)
    status = df.ChoiceFilter(choices=HandoverState.choices)
    rep = IdFilter(field_name="rep_id", label=gettext_lazy("rep"))
    awaiting = df.BooleanFilter(method="filter_awaiting", label=gettext_lazy("waiting for my acknowledgement"))

    class Meta:
        model = Handover
        fields: list[str] = []

    def filter_awaiting(self, queryset: QuerySet[Handover], name: str, value: bool) -> QuerySet[Handover]:
        if not value:
            return queryset
        return queryset.filter(pk__in=selectors.handovers_awaiting(user=self.request.user).values("pk"))


class HandoverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handovers the asking user may see (the rep's side, or as a successor)."""

    scoped = True
    serializer_class = HandoverSerializer
    conflict_serializer = HandoverSerializer
    filterset_class = HandoverFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("created_at", "starts_on")
    default_ordering = ("-created_at", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = Handover.objects.none()

    def get_queryset(self) -> QuerySet[Handover]:
        return selectors.handover_queryset(user=self.request.user)

    def _render(self, handover_id: int, code: int = status.HTTP_200_OK) -> Response:
        handover = selectors.handover_get(user=self.request.user, handover_id=handover_id)
        return Response(HandoverDetailSerializer(handover, context=self.get_serializer_context()).data, status=code)

    def _body(self, request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        body = serializer_class(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @extend_schema(responses=HandoverDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(parse_id(kwargs["pk"]))

    @extend_schema(request=HandoverCreateSerializer, responses={201: HandoverDetailSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(request, HandoverCreateSerializer)
        common = {"actor": request.user, "rep": data["rep"], "note": data["note"], "request": request}
        if data["kind"] == HandoverKind.LEAVE:
            handover = services.handover_leave_create(
                delegate=data["delegate"], starts_on=data.get("starts_on"), ends_on=data.get("ends_on"), **common)
        else:
            handover = services.handover_departure_create(
                successors=data["successors"], starts_on=data.get("starts_on"), **common)
        return self._render(handover.pk, status.HTTP_201_CREATED)

    @extend_schema(request=SuggestSerializer, responses={200: HandoverDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def suggest(self, request: Request, pk: str) -> Response:
        data = self._body(request, SuggestSerializer)
        services.handover_suggest(actor=request.user, handover_id=parse_id(pk), version=data["version"],
                                  successors=data.get("successors"), request=request)
        return self._render(parse_id(pk))

    @extend_schema(request=AssignSerializer, responses={200: HandoverDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = self._body(request, AssignSerializer)
        assignments = {row["customer"]: row["successor"] for row in data["items"]}
        services.handover_assign(actor=request.user, handover_id=parse_id(pk), version=data["version"],
                                 assignments=assignments, request=request)
        return self._render(parse_id(pk))

    def _act(self, request: Request, pk: str, run: Any) -> Response:
        data = self._body(request, VersionSerializer)
        run(actor=request.user, handover_id=parse_id(pk), version=data["version"], request=request)
        return self._render(parse_id(pk))

    @extend_schema(request=VersionSerializer, responses={200: HandoverDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.handover_apply)

    @extend_schema(request=VersionSerializer, responses={200: HandoverDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.handover_cancel)

    @extend_schema(request=None, responses=HandoverDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        services.handover_acknowledge(actor=request.user, handover_id=parse_id(pk), request=request)
        return self._render(parse_id(pk))

    @extend_schema(
        parameters=[OpenApiParameter("successor", OpenApiTypes.INT, description=gettext_lazy("Only this successor's cards."))],
        responses={(200, PDF): OpenApiTypes.BINARY, 503: OpenApiTypes.OBJECT}, filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None, filter_backends=[])
    def report(self, request: Request, pk: str) -> HttpResponse:
        raw = request.query_params.get("successor")
        successor = parse_id(raw) if raw else None
        try:
            pdf = services.handover_report(actor=request.user, handover_id=parse_id(pk), successor_id=successor,
                                           request=request)
        except PdfUnavailable:
            return Response({"detail": str(gettext_lazy("PDF printing is not available on this server."))},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response = HttpResponse(pdf, content_type=PDF)
        response["Content-Disposition"] = f'inline; filename="handover-{parse_id(pk)}.pdf"'
        return response


def register(router: BaseRouter) -> None:
    router.register("handovers", HandoverViewSet, basename="handover")
