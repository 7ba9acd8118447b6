"""`/api/v1/payments/`, `/api/v1/allocations/`, `/api/v1/receivables/`, `/api/v1/collections/`.

Thin: parse, call one service or selector, render. Lists start from `visible_to`; an invisible row
answers 404 like a missing one; bad input answers 400 with a field map; a stale `version` 409.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID, IdField, IdFilter, parse_id, validated_body
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.api.pagination import CursorPagination
from kehu.core.errors import NotFound
from kehu.sales.models import Allocation, Collection, CollectionStatus, Order, Payment, PaymentKind, PaymentMethod
from kehu.sales.selectors import receivables as rx
from kehu.sales.services import collections as coll
from kehu.sales.services import receivables as money
from kehu.sales.services import refunds

MONEY_IN = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}
CONFLICT = OpenApiResponse(description=_lazy("Stale version: the body carries the current record under `current`."))


# --- serializers ----------------------------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    payment = IdField(read_only=True)
    order = IdField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    created_by = IdField(read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "payment", "order", "order_number", "amount", "created_by", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    received_by = IdField(read_only=True)
    created_by = IdField(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "customer", "customer_code", "kind", "date", "amount", "unallocated", "method", "reference",
                  "note", "received_by", "created_by", "created_at", "allocations"]
        read_only_fields = fields


class AllocationInSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = serializers.DecimalField(**MONEY_IN)


class PaymentInSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    amount = serializers.DecimalField(**MONEY_IN)
    date = serializers.DateField(required=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    received_by = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    allocate = serializers.ChoiceField(
        choices=[("oldest", "oldest"), ("none", "none"), ("hand", "hand")], default="oldest",
        help_text=_lazy('"oldest" (default): open orders, earliest due first; "none": keep as credit; '
                        '"hand": the `allocations` listed.'),
    )
    allocations = AllocationInSerializer(many=True, required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        listed = data.get("allocations")
        if listed and data.get("allocate", "oldest") == "oldest" and "allocate" not in self.initial_data:
            data["allocate"] = "hand"
        if data["allocate"] == "hand" and not listed:
            raise serializers.ValidationError({"allocations": [_("List the orders and amounts to allocate.")]})
        if data["allocate"] != "hand" and listed:
            raise serializers.ValidationError({"allocations": [_('Send allocations only with allocate "hand".')]})
        return data


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class AllocationCreateSerializer(serializers.Serializer):
    payment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    order = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = serializers.DecimalField(**MONEY_IN)


class CollectionSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    order = IdField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True, default=None)
    responsible = IdField(allow_null=True, required=False)
    due_on = serializers.DateField(required=False)
    amount = serializers.DecimalField(required=False, **MONEY_IN)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)

    class Meta:
        model = Collection
        fields = ["id", "customer", "customer_name", "order", "order_number", "due_on", "amount", "responsible",
                  "status", "note", "reminded_before_at", "reminded_due_at", "version", "created_at", "updated_at"]
        read_only_fields = ["id", "customer", "customer_name", "order", "order_number", "status",
                            "reminded_before_at", "reminded_due_at", "created_at", "updated_at"]


class CollectionCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    order = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    due_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY_IN)
    responsible = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AgeingSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text=_lazy("Customer, user or org unit id."))
    code = serializers.CharField()
    label = serializers.CharField()
    orders = serializers.IntegerField()
    current = serializers.DecimalField(max_digits=18, decimal_places=2)
    d1_30 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d31_60 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d61_90 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d90_plus = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)


class CustomerReceivableSerializer(serializers.Serializer):
    key = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    label = serializers.CharField(source="name")
    orders = serializers.IntegerField(source="orders_open")
    oldest_due = serializers.DateField()
    current = serializers.DecimalField(max_digits=18, decimal_places=2)
    d1_30 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d31_60 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d61_90 = serializers.DecimalField(max_digits=18, decimal_places=2)
    d90_plus = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    credit = serializers.DecimalField(max_digits=18, decimal_places=2, help_text=_lazy("Unallocated money."))
    balance = serializers.SerializerMethodField(help_text=_lazy("Open receivables minus unallocated money."))

    def get_balance(self, row: Any) -> str:
        return str(rx.cents(row.total - row.credit))


# --- filters ----------------------------------------------------------------------------------------


class PaymentFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id")
    kind = df.ChoiceFilter(choices=PaymentKind.choices)
    date_from = df.DateFilter(field_name="date", lookup_expr="gte")
    date_to = df.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Payment
        fields: list[str] = []


class AllocationFilter(df.FilterSet):
    payment = IdFilter(field_name="payment_id")
    order = IdFilter(field_name="order_id")

    class Meta:
        model = Allocation
        fields: list[str] = []


class CollectionFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id")
    responsible = IdFilter(field_name="responsible_id")
    order = IdFilter(field_name="order_id")
    status = df.ChoiceFilter(choices=CollectionStatus.choices)
    week = df.DateFilter(method="in_week", label=_lazy("Any day of the week (Monday to Sunday)."))

    class Meta:
        model = Collection
        fields: list[str] = []

    def in_week(self, queryset: QuerySet[Collection], name: str, value: date) -> QuerySet[Collection]:
        start = rx.week_start_of(value)
        return queryset.filter(due_on__gte=start, due_on__lte=date.fromordinal(start.toordinal() + 6))


# --- viewsets ---------------------------------------------------------------------------------------


class PaymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Payments, credit notes and refunds of the customers the user may see, with their allocations."""

    scoped = True
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = CursorPagination
    ordering_fields = ("date", "amount", "created_at")
    default_ordering = ("-date", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = Payment.objects.none()

    def get_queryset(self) -> QuerySet[Payment]:
        return rx.payment_queryset(user=self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(rx.payment_get(user=request.user, payment_id=parse_id(kwargs["pk"]))).data)

    @extend_schema(request=PaymentInSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(PaymentInSerializer, request)
        allocate: Any = data.pop("allocate")
        listed = data.pop("allocations", None) or []
        if allocate == "hand":
            allocate = [(row["order"], row["amount"]) for row in listed]
        customer_id = data.pop("customer")
        payment = money.payment_record(actor=request.user, customer=customer_id, allocate=allocate, request=request, **data)
        return Response(self._render(payment.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=VoidSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str) -> Response:
        """Undo an entry made by mistake: allocations taken back, money-in reversed, the row deleted (audited)."""
        data = validated_body(VoidSerializer, request)
        refunds.payment_void(actor=request.user, payment_id=parse_id(pk), reason=data["reason"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _render(self, pk: int) -> dict[str, Any]:
        return dict(self.get_serializer(rx.payment_get(user=self.request.user, payment_id=pk)).data)


class AllocationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scoped = True
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = CursorPagination
    default_ordering = ("-id",)
    lookup_value_regex = r"[0-9]+"
    queryset = Allocation.objects.none()

    def get_queryset(self) -> QuerySet[Allocation]:
        return Allocation.objects.visible_to(self.request.user).select_related("order")

    def _get(self, pk: Any) -> Allocation:
        row = self.get_queryset().filter(pk=parse_id(pk)).first()
        if row is None:
            raise NotFound
        return row

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    @extend_schema(request=AllocationCreateSerializer, responses={201: AllocationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(AllocationCreateSerializer, request)
        allocation = money.allocation_create(
            actor=request.user, payment_id=data["payment"], order_id=data["order"], amount=data["amount"], request=request
        )
        return Response(self.get_serializer(self._get(allocation.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        money.allocation_delete(actor=request.user, allocation_id=parse_id(kwargs["pk"]), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReceivableQuery(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=["customer", "rep", "org_unit"], default="customer")
    on = serializers.DateField(required=False)


class ReceivableViewSet(viewsets.GenericViewSet):
    """Open receivables with ageing buckets: per customer (paged, with unallocated credit and balance),
    or per rep (the card's owner) / org unit (all rows). `total` is over everything visible."""

    scoped = True
    serializer_class = CustomerReceivableSerializer
    pagination_class = CursorPagination
    default_ordering = ("-id",)
    queryset = Order.objects.none()  # the rows are open receivables (booked orders with money open)

    def get_queryset(self) -> QuerySet[Order]:
        return rx.open_receivables(user=self.request.user)

    @extend_schema(parameters=[
        OpenApiParameter("group_by", str, enum=["customer", "rep", "org_unit"], default="customer"),
        OpenApiParameter("on", OpenApiTypes.DATE, description=_lazy("Age as of this day (default today).")),
    ])
    def list(self, request: Request) -> Response:
        query = ReceivableQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        group_by, on = query.validated_data["group_by"], query.validated_data.get("on")
        if group_by != "customer":
            ageing = rx.receivable_ageing(user=request.user, group_by=group_by, on=on)
            return Response({"next": None, "previous": None, "results": AgeingSerializer(ageing.rows, many=True).data,
                             "total": AgeingSerializer(ageing.total).data})
        rows = rx.customer_receivables(user=request.user, on=on)
        page = self.paginate_queryset(rows)
        response = self.get_paginated_response(CustomerReceivableSerializer(page, many=True).data)
        ageing = rx.receivable_ageing(user=request.user, group_by="rep", on=on, limit=1)
        response.data["total"] = AgeingSerializer(ageing.total).data
        return response


@extend_schema_view(
    update=extend_schema(responses={200: CollectionSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: CollectionSerializer, 409: CONFLICT}),
)
class CollectionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Planned collections. `?week=` any day of a week; `?responsible=` a user id. Update carries `version`."""

    scoped = True
    serializer_class = CollectionSerializer
    conflict_serializer = CollectionSerializer
    filterset_class = CollectionFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = CursorPagination
    ordering_fields = ("due_on", "amount")
    default_ordering = ("due_on", "id")
    lookup_value_regex = r"[0-9]+"
    queryset = Collection.objects.none()

    def get_queryset(self) -> QuerySet[Collection]:
        return rx.collection_queryset(user=self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._render(kwargs["pk"]))

    @extend_schema(request=CollectionCreateSerializer, responses={201: CollectionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(CollectionCreateSerializer, request)
        row = coll.collection_create(actor=request.user, customer=data.pop("customer"), request=request, **data)
        return Response(self._render(row.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        current = rx.collection_get(user=request.user, collection_id=parse_id(kwargs["pk"]))
        fixed = set(request.data) & set(CollectionSerializer.Meta.read_only_fields) if isinstance(request.data, dict) else set()
        if fixed:
            raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(fixed)})
        data = validated_body(CollectionSerializer, request, partial=kwargs.get("partial", False))
        version = data.pop("version", None)
        coll.collection_update(actor=request.user, collection_id=current.pk, data=data, version=version, request=request)
        return Response(self._render(current.pk))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Cancel the planned collection (it stays in the list as cancelled)."""
        coll.collection_cancel(actor=request.user, collection_id=parse_id(kwargs["pk"]),
                               version=request.query_params.get("version"), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _render(self, pk: Any) -> dict[str, Any]:
        return dict(self.get_serializer(rx.collection_get(user=self.request.user, collection_id=parse_id(pk))).data)


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("allocations", AllocationViewSet, basename="allocation")
    router.register("receivables", ReceivableViewSet, basename="receivable")
    router.register("collections", CollectionViewSet, basename="collection")


