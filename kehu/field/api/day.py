"""`/api/v1/visits/`: visits of the cards the user may see; ad-hoc visits, check-in and check-out with a
position, the visit report (with the card's changes), setting a card's position; `visits/today/`.

Thin: serializers parse and render; the rules live in `kehu.field.services.visits`.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID, IdField, IdFilter, parse_id, refuse_unknown_fields, validated_body
from kehu.core.api.filters import StrictFilterBackend
from kehu.customers.api.serializers import CustomerSerializer
from kehu.customers.models import Customer
from kehu.field.models import Visit, VisitOutcome, VisitPurpose, VisitStatus
from kehu.field.selectors import visits as selectors
from kehu.field.services import visits as services

CONFLICT = OpenApiResponse(description=gettext_lazy(
    "Stale version: `current` carries the current visit (or, for a stale `card_version`, the current card)."))


class VisitSerializer(serializers.ModelSerializer):
    customer = IdField(required=True, allow_null=False, help_text=gettext_lazy("Id of the customer."))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep = IdField(read_only=True)
    offer_set_position = serializers.SerializerMethodField(
        help_text=gettext_lazy("True after a check-in at a card without an exact position: `set-position` may set it."))
    has_check_in = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id", "customer", "customer_name", "rep", "planned_on", "sequence", "planned_arrival", "reason", "status",
            "checkin_at", "checkin_lat", "checkin_lng", "checkin_accuracy_m", "checkin_distance_m", "is_far",
            "checkout_at", "checkout_lat", "checkout_lng", "checkout_distance_m", "purpose", "outcome", "summary",
            "orders_taken", "money_collected", "next_steps", "next_visit_on", "reported_at", "has_check_in",
            "offer_set_position", "version", "created_at", "updated_at",
        ]
        read_only_fields = [name for name in fields if name not in ("customer", "planned_on", "purpose")]
        extra_kwargs = {"planned_on": {"required": False}, "purpose": {"required": False}}

    def get_offer_set_position(self, visit: Visit) -> bool:
        return services.offers_position(visit)

    def get_has_check_in(self, visit: Visit) -> bool:
        return visit.checkin_at is not None


class ConflictSerializer:
    """The 409 body's `current`: the visit, or the card when the card's version was the stale one."""

    def __init__(self, instance: Any, context: dict[str, Any] | None = None) -> None:
        self.instance, self.context = instance, context or {}

    @property
    def data(self) -> Any:
        if isinstance(self.instance, Customer):
            return CustomerSerializer(self.instance, context=self.context).data
        return VisitSerializer(self.instance, context=self.context).data


class PositionSerializer(serializers.Serializer):
    lat = serializers.DecimalField(max_digits=12, decimal_places=8, min_value=-90, max_value=90)
    lng = serializers.DecimalField(max_digits=13, decimal_places=8, min_value=-180, max_value=180)
    accuracy = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0, max_value=100_000,
                                        required=False, allow_null=True,
                                        help_text=gettext_lazy("The phone's accuracy radius in metres."))
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class CheckOutSerializer(PositionSerializer):
    lat = serializers.DecimalField(max_digits=12, decimal_places=8, min_value=-90, max_value=90, required=False,
                                   allow_null=True)
    lng = serializers.DecimalField(max_digits=13, decimal_places=8, min_value=-180, max_value=180, required=False,
                                   allow_null=True)


class ReportSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=VisitPurpose.choices)
    outcome = serializers.ChoiceField(choices=VisitOutcome.choices)
    summary = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    orders_taken = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, default=0)
    money_collected = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                               default=0)
    next_steps = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    next_visit_on = serializers.DateField(required=False, allow_null=True, default=None)
    card = serializers.DictField(required=False, default=dict, help_text=format_lazy(
        gettext_lazy("Card fields seen on the visit: {fields}."), fields=", ".join(services.REPORT_CARD_FIELDS)))
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    card_version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False, allow_null=True,
                                            help_text=gettext_lazy("The card's version you read; required with `card`."))


class SetPositionSerializer(serializers.Serializer):
    card_version = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class VisitFilter(df.FilterSet):
    rep = IdFilter(field_name="rep_id", label=gettext_lazy("rep"))
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("customer"))
    planned_on = df.DateFilter()
    planned_on__gte = df.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_on__lte = df.DateFilter(field_name="planned_on", lookup_expr="lte")
    status = df.ChoiceFilter(choices=VisitStatus.choices)

    class Meta:
        model = Visit
        fields: list[str] = []


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visits of the customers the asking user may see. Invisible visits answer 404, like missing ones."""

    scoped = True
    serializer_class = VisitSerializer
    conflict_serializer = ConflictSerializer
    filterset_class = VisitFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("planned_on", "updated_at")
    default_ordering = ("-planned_on", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = Visit.objects.none()

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.visit_queryset(user=self.request.user)

    def _render(self, visit_id: int, code: int = status.HTTP_200_OK) -> Response:
        visit = selectors.visit_get(user=self.request.user, visit_id=visit_id)
        return Response(self.get_serializer(visit).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render(parse_id(kwargs["pk"]))

    @extend_schema(request=VisitSerializer, responses={201: VisitSerializer})
    def create(self, request: Request) -> Response:
        fields = self.get_serializer().fields
        refuse_unknown_fields(request.data, [n for n, f in fields.items() if not f.read_only])
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        visit = services.visit_create(actor=request.user, customer_id=data["customer"],
                                      planned_on=data.get("planned_on"), purpose=data.get("purpose", ""),
                                      request=request)
        return self._render(visit.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PositionSerializer, responses={200: VisitSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        data = validated_body(PositionSerializer, request)
        visit = services.visit_check_in(actor=request.user, visit_id=parse_id(pk), request=request, **data)
        return self._render(visit.pk)

    @extend_schema(request=CheckOutSerializer, responses={200: VisitSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str) -> Response:
        data = validated_body(CheckOutSerializer, request)
        visit = services.visit_check_out(actor=request.user, visit_id=parse_id(pk), request=request, **data)
        return self._render(visit.pk)

    @extend_schema(request=ReportSerializer, responses={200: VisitSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str) -> Response:
        data = validated_body(ReportSerializer, request)
        card, version, card_version = data.pop("card"), data.pop("version"), data.pop("card_version", None)
        visit = services.visit_report(actor=request.user, visit_id=parse_id(pk), report=data, card_changes=card,
                                      version=version, card_version=card_version, request=request)
        return self._render(visit.pk)

    @extend_schema(request=SetPositionSerializer, responses={200: VisitSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="set-position")
    def set_position(self, request: Request, pk: str) -> Response:
        data = validated_body(SetPositionSerializer, request)
        services.visit_set_card_position(actor=request.user, visit_id=parse_id(pk), request=request, **data)
        return self._render(parse_id(pk))

    @extend_schema(responses={200: VisitSerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None, filter_backends=[])
    def today(self, request: Request) -> Response:
        """The asking user's own visits today (route order), plus earlier visits still not handed back."""
        day = selectors.rep_day(user=request.user, briefs=False)
        return Response(self.get_serializer(day.all_visits, many=True).data)


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("visits", VisitViewSet, basename="visit")
