"""`POST /api/v1/order-imports/`: import orders from an ERP export (multipart `file`, `dry_run`).

The same engine as the web page (`kehu.sales.imports.orders.order_import`): all-or-nothing, every
problem with its row, column and value, confirmed orders through the credit check. Answers 200 for a
clean dry run, 201 for an import, 400 `{"file": [readable problems], "errors": [{row, column, value,
message}], …}` when anything is wrong (nothing written), 403 for roles that do not take orders.
`GET /api/v1/order-imports/template/?lang=zh|en` returns the .xlsx template.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.customers.forms.imports import check_upload_size
from kehu.sales.imports.orders import can_import_orders, order_import, order_import_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanImportOrders(permissions.BasePermission):
    message = gettext_lazy("Only people who take orders can import them.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and can_import_orders(request.user))


class OrderImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("An .xlsx, .xls or .csv file, one row per order line."))
    dry_run = serializers.BooleanField(default=False, help_text=gettext_lazy("Check only; write nothing."))

    def validate_file(self, value: Any) -> Any:
        from django.core.exceptions import ValidationError

        try:
            check_upload_size(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("Spreadsheet row (1 = header, 0 = the whole file)."))
    column = serializers.CharField()
    value = serializers.CharField()
    message = serializers.CharField()


class ImportedOrderSerializer(serializers.Serializer):
    ref = serializers.CharField()
    number = serializers.CharField()
    customer = serializers.CharField()
    status = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = serializers.IntegerField()
    row = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)


class OrderImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField()
    rows = serializers.IntegerField()
    orders = ImportedOrderSerializer(many=True)
    held = serializers.ListField(child=serializers.CharField())
    counts = serializers.DictField(child=serializers.IntegerField())
    errors = RowErrorSerializer(many=True)


class OrderImportViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated, CanImportOrders]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": OrderImportRequestSerializer},
        responses={200: OrderImportResultSerializer, 201: OrderImportResultSerializer,
                   400: OpenApiResponse(OrderImportResultSerializer, description="Nothing was written.")},
        summary=gettext_lazy("Import orders from a spreadsheet (all or nothing)."),
    )
    def create(self, request: Request) -> Response:
        incoming = OrderImportRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        result = order_import(actor=request.user, source=incoming.validated_data["file"],
                              dry_run=incoming.validated_data["dry_run"])
        body = result.as_dict()
        if not result.ok:
            body["file"] = [str(error) for error in result.errors]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("lang", OpenApiTypes.STR, enum=["zh", "en"])],
        responses={(200, XLSX): OpenApiTypes.BINARY},
        summary=gettext_lazy("The .xlsx template of the order import."),
    )
    @action(detail=False, methods=["get"])
    def template(self, request: Request) -> HttpResponse:
        lang = "en" if request.query_params.get("lang", "") == "en" else "zh-hans"
        response = HttpResponse(order_import_template(lang), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="order-import-template-{lang}.xlsx"'
        return response


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("order-imports", OrderImportViewSet, basename="order-import")
