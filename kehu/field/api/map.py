"""The map's data: `/api/v1/map/customers/`, `/api/v1/map/route/`, `/api/v1/map/heat/`.

Read-only and compact (a map wants every visible card at once, so no pagination). Customers and
heat take the customer list's filters (`/api/v1/customers/` query parameters give the same set).
Positions are WGS-84 as stored; a client drawing on GCJ-02 tiles (AMap) shifts them itself.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID
from kehu.core.api.filters import StrictFilterBackend
from kehu.customers.filters import CustomerListFilter
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_queryset
from kehu.field.models import Visit
from kehu.field.selectors import map as selectors

CUSTOMERS_RESPONSE = inline_serializer("MapCustomers", {
    "datum": serializers.CharField(help_text=_("Always wgs84.")),
    "columns": serializers.ListField(child=serializers.CharField()),
    "rows": serializers.ListField(child=serializers.ListField(), help_text=_("One array per plotted card, in `columns` order.")),
    "total": serializers.IntegerField(),
    "plotted": serializers.IntegerField(),
    "unplaced": serializers.IntegerField(help_text=_("Cards without a position (or only a province's).")),
})
HEAT_RESPONSE = inline_serializer("MapHeat", {
    "datum": serializers.CharField(),
    "since": serializers.DateField(),
    "months": serializers.IntegerField(),
    "rows": serializers.ListField(child=serializers.DictField(), help_text=(
        "province, city, district, sales (decimal string), customers, lat, lng, weight (0–1]")),
    "unlocated_sales": serializers.DecimalField(max_digits=16, decimal_places=2),
})
ROUTE_RESPONSE = inline_serializer("MapRoute", {
    "datum": serializers.CharField(),
    "rep": serializers.DictField(),
    "day": serializers.DateField(),
    "computed": serializers.BooleanField(),
    "base": serializers.DictField(allow_null=True),
    "travel_seconds": serializers.IntegerField(allow_null=True),
    "distance_m": serializers.IntegerField(allow_null=True),
    "stops": serializers.ListField(child=serializers.DictField()),
    "unplaced": serializers.IntegerField(),
    "unserved": serializers.ListField(child=serializers.DictField()),
})


class CustomerMapQuerySetMixin:
    """Cards through the customer list's filter (400 on a bad filter); each viewset says where they start."""

    filterset_class = CustomerListFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = None
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset


class MapCustomerViewSet(CustomerMapQuerySetMixin, viewsets.GenericViewSet):
    """Every visible card with a usable position as one compact array; the rest counted as `unplaced`.

    Columns: id, code, name, tier, status, overdue (1 = visit overdue by the card's cadence),
    lat, lng, precision (exact / district / city)."""

    scoped = True

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_queryset(user=self.request.user)

    @extend_schema(responses=CUSTOMERS_RESPONSE)
    def list(self, request: Request) -> Response:
        cards = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        return Response(selectors.map_customers(queryset=cards).as_json())


class HeatQuery(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=selectors.MAX_HEAT_MONTHS,
                                      default=selectors.HEAT_MONTHS)


class MapHeatViewSet(CustomerMapQuerySetMixin, viewsets.GenericViewSet):
    """Sales of the last `months` months (default 12) by district of the visible, filtered cards."""

    scoped = True

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_queryset(user=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("months", OpenApiTypes.INT, description=_("Months back, 1–60 (default 12)."))],
        responses=HEAT_RESPONSE,
    )
    def list(self, request: Request) -> Response:
        query = HeatQuery(data={k: v for k, v in request.query_params.items() if k == "months"})
        query.is_valid(raise_exception=True)
        cards = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        months = query.validated_data["months"]
        return Response(selectors.map_heat(user=request.user, queryset=cards, months=months))


class RouteQuery(serializers.Serializer):
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    day = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])


class MapRouteViewSet(viewsets.GenericViewSet):
    """A rep's day: base point, stops in route order (`number`), totals. A rep the user may not see: 404."""

    scoped = True
    pagination_class = None
    queryset = Visit.objects.none()

    def get_queryset(self) -> QuerySet[Visit]:
        return Visit.objects.visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("rep", OpenApiTypes.INT, required=True),
            OpenApiParameter("day", OpenApiTypes.DATE, description=_("YYYY-MM-DD (default today).")),
        ],
        responses={200: ROUTE_RESPONSE, 404: OpenApiResponse(description="No such rep, or not one the user may see.")},
    )
    def list(self, request: Request) -> Response:
        query = RouteQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("day") or timezone.localdate()
        return Response(selectors.map_route(user=request.user, rep_id=query.validated_data["rep"], day=day))


def register(router: BaseRouter) -> None:
    router.register("map/customers", MapCustomerViewSet, basename="map-customer")
    router.register("map/route", MapRouteViewSet, basename="map-route")
    router.register("map/heat", MapHeatViewSet, basename="map-heat")

