"""`/api/v1/plans/`: monthly sales plans, their approval workflow, progress against them, and the import.

Thin: serializers parse and render; every rule lives in `kehu.sales.services.plans`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID, IdField, IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import Forbidden
from kehu.sales.imports.plans import plan_import_template, plans_import
from kehu.sales.models import PlanStatus, SalesPlan, SupportKind
from kehu.sales.selectors import plan_progress
from kehu.sales.selectors import plans as selectors
from kehu.sales.services import plans as services

CONFLICT = OpenApiResponse(description=gettext_lazy("Stale version: the body carries the current plan under `current`."))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.Field):
    default_error_messages = {"invalid": gettext_lazy("Enter a month as YYYY-MM.")}

    def to_representation(self, value: date) -> str:
        return f"{value:%Y-%m}"

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str) or len(data) > 10:
            self.fail("invalid")
        try:
            return services.month_start(data)
        except ValidationError:
            self.fail("invalid")
        raise AssertionError  # unreachable: fail() raises


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, **kwargs)


class PlanLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = IdField(required=True, allow_null=False, help_text=gettext_lazy("Id of the product."))
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.__str__", read_only=True)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0)
    amount = _money(help_text=gettext_lazy("Amount target in yuan."))
    schedule = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")


class PlanSupportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    description = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    cost = _money(required=False, default="0")


class PlanSerializer(serializers.ModelSerializer):
    customer = IdField(required=True, allow_null=False, help_text=gettext_lazy("Id of the customer."))
    month = MonthField()
    lines = PlanLineSerializer(many=True, required=False, max_length=services.MAX_LINES)
    supports = PlanSupportSerializer(many=True, required=False, max_length=services.MAX_SUPPORTS)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    created_by = IdField(read_only=True)
    decided_by = IdField(read_only=True)
    version = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, required=False,
        help_text=gettext_lazy("The version you read; required on update so concurrent edits are caught."),
    )

    class Meta:
        model = SalesPlan
        fields = [
            "id", "customer", "month", "status", "total_quantity", "total_amount", "support_cost", "note", "lines",
            "supports", "created_by", "submitted_at", "decided_by", "decided_at", "decision_note", "version",
            "created_at", "updated_at",
        ]
        read_only_fields = [
            "id", "status", "total_quantity", "total_amount", "support_cost", "submitted_at", "decided_at",
            "decision_note", "created_at", "updated_at",
        ]
        validators: list[Any] = []  # one plan per customer and month: the service says so, as a field error


class PlanUpdateSerializer(PlanSerializer):
    """An update names neither customer nor month (a plan does not move); absent lists stay as they are on PATCH."""

    customer = IdField(required=False, allow_null=False)
    month = MonthField(required=False)


class PlanActionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class PlanProgressQuerySerializer(serializers.Serializer):
    month = MonthField(required=False)
    period = serializers.ChoiceField(choices=["month", "ytd"], default="month")
    group_by = serializers.ChoiceField(choices=list(plan_progress.GROUPS), default="customer")
    org_unit = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    behind = serializers.BooleanField(required=False, default=False)
    approved_only = serializers.BooleanField(required=False, default=False,
                                             help_text=gettext_lazy("Count approved plans only (default: every status)."))
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)


class PlanProgressRowSerializer(serializers.Serializer):
    key = serializers.SerializerMethodField()
    label = serializers.CharField()
    detail = serializers.CharField()
    planned_quantity = serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True)
    planned_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    expected_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    actual_quantity = serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True)
    actual_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    attainment = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True,
                                          help_text=gettext_lazy("Actual as a percentage of the planned amount."))
    is_behind = serializers.BooleanField()
    cumulative_planned = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    cumulative_actual = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_key(self, row: plan_progress.ProgressRow) -> Any:
        if isinstance(row.key, tuple):
            return list(row.key)
        return f"{row.key:%Y-%m}" if isinstance(row.key, date) else row.key


class PlanProgressSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    first_month = MonthField()
    last_month = MonthField()
    today = serializers.DateField()
    elapsed_share = serializers.DecimalField(max_digits=5, decimal_places=1,
                                             help_text=gettext_lazy("Share of the period elapsed, in per cent."))
    count = serializers.IntegerField()
    behind_count = serializers.IntegerField()
    totals = PlanProgressRowSerializer()
    results = PlanProgressRowSerializer(source="rows", many=True)


class PlanImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


class PlanFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("customer"))
    month = df.CharFilter(method="filter_month", label=gettext_lazy("month (YYYY-MM)"))
    status = df.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = SalesPlan
        fields: list[str] = []

    def filter_month(self, queryset: QuerySet[SalesPlan], name: str, value: str) -> QuerySet[SalesPlan]:
        return queryset.filter(month=services.month_start(value[:20]))


def _nested(error: ValidationError) -> Exception:
    """The service names a cell `lines.0.product`; answer it as DRF does: {"lines": {"0": {"product": [...]}}}."""
    if not hasattr(error, "error_dict"):
        return error
    out: dict[str, Any] = {}
    for key, messages in error.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3:
            out.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = messages
        else:
            out[key] = messages
    return serializers.ValidationError(out)


def _save(**kwargs: Any) -> SalesPlan:
    try:
        return services.plan_save(**kwargs)
    except ValidationError as exc:
        raise _nested(exc) from None


def _lines(data: list[dict[str, Any]]) -> list[services.LineInput]:
    return [(x["product"], x["quantity"], x["amount"], x.get("schedule", "")) for x in data]


def _supports(data: list[dict[str, Any]]) -> list[services.SupportInput]:
    return [(x["kind"], x.get("description", ""), x.get("cost", 0)) for x in data]


@extend_schema_view(
    update=extend_schema(responses={200: PlanSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: PlanSerializer, 409: CONFLICT}),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Plans of the customers the asking user may see. Invisible plans answer 404, like missing ones."""

    scoped = True
    serializer_class = PlanSerializer
    conflict_serializer = PlanSerializer
    filterset_class = PlanFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("month", "updated_at")
    default_ordering = ("-month", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = SalesPlan.objects.none()
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[SalesPlan]:
        return selectors.plan_queryset(user=self.request.user).prefetch_related("lines__product", "supports")

    def _render(self, plan_id: int) -> dict[str, Any]:
        return dict(self.get_serializer(selectors.plan_get(user=self.request.user, plan_id=plan_id)).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._render(parse_id(kwargs["pk"])))

    def _body(self, request: Request, *, updating: bool) -> dict[str, Any]:
        # Never DRF's partial mode: it would make the nested lines' own fields optional too.
        serializer_class = PlanUpdateSerializer if updating else PlanSerializer
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        refuse_unknown_fields(request.data, serializer.fields)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, updating=False)
        plan = _save(
            actor=request.user, customer=data["customer"], month=data["month"], lines=_lines(data.get("lines", [])),
            supports=_supports(data.get("supports", [])), note=data.get("note", ""), create_only=True, request=request,
        )
        return Response(self._render(plan.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=parse_id(kwargs["pk"]))
        partial = kwargs.get("partial", False)
        data = self._body(request, updating=True)
        if not partial and "lines" not in data:
            raise ValidationError({"lines": [_("Send the plan's lines (an empty list removes them all).")]})
        for name, current in (("customer", plan.customer_id), ("month", plan.month)):
            if name in data and data[name] != current:
                raise ValidationError({name: [_("A plan cannot move to another customer or month.")]})
        lines = _lines(data["lines"]) if "lines" in data else [
            (x.product_id, x.quantity, x.amount, x.schedule) for x in plan.lines.all()]
        supports = _supports(data["supports"]) if "supports" in data else [
            (x.kind, x.description, x.cost) for x in plan.supports.all()]
        _save(
            actor=request.user, customer=plan.customer_id, month=plan.month, lines=lines, supports=supports,
            note=data["note"] if "note" in request.data or not partial else plan.note, version=data.get("version"),
            request=request,
        )
        return Response(self._render(plan.pk))

    def _act(self, request: Request, pk: str, run: Any, **extra: str) -> Response:
        body = PlanActionSerializer(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        plan = run(actor=request.user, plan_id=parse_id(pk), version=values["version"], request=request,
                   **{name: values[field] for name, field in extra.items()})
        return Response(self._render(plan.pk))

    @extend_schema(request=PlanActionSerializer, responses={200: PlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.plan_submit)

    @extend_schema(request=PlanActionSerializer, responses={200: PlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.plan_approve, note="note")

    @extend_schema(request=PlanActionSerializer, responses={200: PlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.plan_return, reason="reason")

    @extend_schema(request=PlanActionSerializer, responses={200: PlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.plan_reopen, reason="reason")

    @extend_schema(parameters=[PlanProgressQuerySerializer], responses=PlanProgressSerializer, filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None, filter_backends=[])
    def progress(self, request: Request) -> Response:
        query = PlanProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = plan_progress.progress_for_query(user=request.user, query=query.validated_data)
        return Response(PlanProgressSerializer(report).data)

    @extend_schema(request={"multipart/form-data": PlanImportSerializer},
                   responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", filterset_class=None, pagination_class=None,
            filter_backends=[])
    def import_(self, request: Request) -> Response:
        if not services.may_draft_plans(request.user):
            raise Forbidden(_("You may not import plans."))
        body = PlanImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = plans_import(actor=request.user, source=body.validated_data["file"],
                              dry_run=body.validated_data["dry_run"], request=request)
        if not result.ok:
            return Response({"errors": [e.as_dict() for e in result.errors]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"rows": result.rows, "created": result.created, "updated": result.updated,
                         "plans": result.plan_ids, "dry_run": body.validated_data["dry_run"]})

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY}, filters=False)
    @action(detail=False, methods=["get"], url_path="import-template", filterset_class=None, pagination_class=None,
            filter_backends=[])
    def import_template(self, request: Request) -> HttpResponse:
        lang = str(request.query_params.get("lang", "zh-hans"))[:10]
        response = HttpResponse(plan_import_template(lang), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="plans-template.xlsx"'
        return response


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("plans", PlanViewSet, basename="plan")

