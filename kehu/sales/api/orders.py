"""`/api/v1/orders/`: sales records over REST. Thin: parse, call one service or selector, render.

Lists start from `order_list` (visible orders only); writes go through `kehu.sales.services.orders`,
so an order confirmed here passes the same credit check as on the web (and may answer `held`).
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import IdField, IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.customers.models import Customer
from kehu.sales.models import CreditHold, Order, OrderLine, OrderSource, OrderStatus, Settlement
from kehu.sales.selectors.orders import order_get, order_list, order_search_q
from kehu.sales.services import order_input
from kehu.sales.services import orders as services

MAX_ID = 2**63 - 1
CONFLICT = OpenApiResponse(description=_lazy("Stale version: the body carries the current order under `current`."))


# --- serializers ----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    product = IdField(read_only=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["line_no", "product", "product_sku", "product_name", "spec", "quantity", "unit_price", "discount",
                  "amount"]
        read_only_fields = fields


class HoldSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditHold
        fields = ["id", "status", "exposure", "credit_limit", "overdue_days", "reasons", "created_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    """An order as listed (without lines)."""

    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    seller = IdField(read_only=True)
    rep = IdField(read_only=True)
    created_by = IdField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "customer", "customer_code", "customer_name", "seller", "rep", "status", "order_date",
            "due_date", "settlement", "source", "total", "paid", "open_amount", "note", "external_ref", "created_by",
            "confirmed_at", "delivered_at", "cancelled_at", "version", "created_at", "updated_at",
        ]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """One order with its lines and, when it is held, the pending hold."""

    lines = OrderLineSerializer(many=True, read_only=True)
    hold = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "lines", "hold"]
        read_only_fields = fields

    @extend_schema_field(HoldSummarySerializer(allow_null=True))
    def get_hold(self, order: Order) -> dict[str, Any] | None:
        pending = getattr(order, "pending_holds", None)
        if pending is None:
            pending = list(order.holds.filter(status="pending")[:1])
        return dict(HoldSummarySerializer(pending[0]).data) if pending else None


class LineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                          help_text=_lazy("Leave out for the customer's price list."))
    discount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, default=0)
    spec = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True,
                                 help_text=_lazy("Leave out for the product's spec."))

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({str(name)[:100]: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class OrderWriteSerializer(serializers.Serializer):
    order_date = serializers.DateField(required=False)
    settlement = serializers.ChoiceField(choices=Settlement.choices, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    seller = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    external_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False, max_length=order_input.MAX_LINES)


class OrderCreateSerializer(OrderWriteSerializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    lines = LineInputSerializer(many=True, max_length=order_input.MAX_LINES)
    confirm = serializers.BooleanField(required=False, default=False,
                                       help_text=_lazy("Confirm at once, through the credit check (may answer held)."))


class OrderUpdateSerializer(OrderWriteSerializer):
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class OrderActionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, allow_null=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


def _line_inputs(rows: list[dict[str, Any]]) -> list[services.LineInput]:
    return [
        services.LineInput(
            product_id=row["product"], quantity=row["quantity"], unit_price=row.get("unit_price"),
            discount=row.get("discount") or 0, spec=row.get("spec"),
        )
        for row in rows
    ]


# --- filters --------------------------------------------------------------------------------------


class OrderFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id")
    seller = IdFilter(field_name="seller_id")
    rep = IdFilter(field_name="rep_id")
    status = df.MultipleChoiceFilter(choices=OrderStatus.choices, distinct=False)
    source = df.ChoiceFilter(choices=OrderSource.choices)
    order_date = df.DateFilter()
    date_from = df.DateFilter(field_name="order_date", lookup_expr="gte", label=_lazy("order date from"))
    date_to = df.DateFilter(field_name="order_date", lookup_expr="lte", label=_lazy("order date to"))
    q = df.CharFilter(method="filter_q", max_length=100, label=_lazy("order number or customer"))

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        return queryset.filter(order_search_q(value)) if value.strip() else queryset


# --- views ----------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer}),
    update=extend_schema(request=OrderUpdateSerializer, responses={200: OrderDetailSerializer, 409: CONFLICT}),
    partial_update=extend_schema(request=OrderUpdateSerializer, responses={200: OrderDetailSerializer, 409: CONFLICT}),
    retrieve=extend_schema(responses=OrderDetailSerializer),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Orders of the customers the asking user may see. Invisible orders answer 404, like missing ones."""

    scoped = True
    serializer_class = OrderSerializer
    conflict_serializer = OrderDetailSerializer
    filterset_class = OrderFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("order_date", "total", "number", "created_at", "updated_at")
    default_ordering = ("-order_date", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = Order.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self) -> QuerySet[Order]:
        return order_list(user=self.request.user, filters={}).select_related("customer")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._render(parse_id(kwargs["pk"])))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(OrderCreateSerializer, request)
        customer = Customer.objects.visible_to(request.user).filter(pk=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": [_("No such customer.")]})
        order = services.order_create(
            actor=request.user, customer=customer, lines=_line_inputs(data["lines"]),
            order_date=data.get("order_date"), settlement=data.get("settlement"), note=data.get("note", ""),
            seller=data.get("seller"), rep=data.get("rep"), source=OrderSource.API,
            external_ref=data.get("external_ref", ""), confirm=data["confirm"],
        )
        return Response(self._render(order.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = order_get(user=request.user, order_id=parse_id(kwargs["pk"]))
        data = self._body(OrderUpdateSerializer, request)
        version = data.pop("version")
        lines = data.pop("lines", None)
        services.order_update(
            actor=request.user, order=order, version=version, data=data,
            lines=_line_inputs(lines) if lines is not None else None,
        )
        return Response(self._render(order.pk))

    @extend_schema(request=OrderActionSerializer, responses={200: OrderDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """Confirm a draft through the credit check: `confirmed`, or `held` with the pending hold."""
        order, data = self._action(request, pk)
        services.order_confirm(actor=request.user, order=order, version=data.get("version"))
        return Response(self._render(order.pk))

    @extend_schema(request=OrderActionSerializer, responses={200: OrderDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        order, data = self._action(request, pk)
        services.order_deliver(actor=request.user, order=order, version=data.get("version"))
        return Response(self._render(order.pk))

    @extend_schema(request=OrderActionSerializer, responses={200: OrderDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        order, data = self._action(request, pk)
        services.order_cancel(actor=request.user, order=order, version=data.get("version"),
                              reason=data.get("reason", ""))
        return Response(self._render(order.pk))

    @extend_schema(request=None, responses={201: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request: Request, pk: str) -> Response:
        """A new draft with the same lines at today's prices."""
        order = order_get(user=request.user, order_id=parse_id(pk))
        copy = services.order_copy(actor=request.user, order=order)
        return Response(self._render(copy.pk), status=status.HTTP_201_CREATED)

    # --- helpers -----------------------------------------------------------------------------

    def _body(self, serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        body = serializer_class(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def _action(self, request: Request, pk: str) -> tuple[Order, dict[str, Any]]:
        order = order_get(user=request.user, order_id=parse_id(pk))
        data = self._body(OrderActionSerializer, request) if request.data else {}
        return order, data

    def _render(self, order_id: int) -> dict[str, Any]:
        order = order_get(user=self.request.user, order_id=order_id)
        return dict(OrderDetailSerializer(order, context=self.get_serializer_context()).data)


def register(router: BaseRouter) -> None:
    router.register("orders", OrderViewSet, basename="order")
