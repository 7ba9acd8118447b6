"""`/api/v1/products/`: the product catalogue with its price list per channel level.

Everyone signed in reads; the roles of `scope.can_manage_catalogue` write (others get 403 on any
write, before the body is looked at). Products are never deleted (order lines keep them): they are
deactivated. The channel prices are nested as `prices` ({channel level: price}; a level without a
price of its own is absent and the list price applies) and can be set alone with
`PUT /api/v1/products/{id}/prices/`. `POST /api/v1/products/import/` takes an .xlsx/.csv file.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.accounts import scope
from kehu.core.api.fields import MAX_ID, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import NotFound
from kehu.sales.imports.products import products_import_file
from kehu.sales.models import Product
from kehu.sales.selectors.products import product_filter
from kehu.sales.services import products as services

CONFLICT = OpenApiResponse(
    description=gettext_lazy("Stale version: the body carries the current record under `current`.")
)
PRODUCT_FIELDS = ["id", "sku", "name", "spec", "unit", "pack_size", "category", "list_price", "is_active",
                  "prices", "version", "created_at", "updated_at"]
WRITABLE = ("sku", "name", "spec", "unit", "pack_size", "category", "list_price", "is_active")


class PricesField(serializers.DictField):
    """{channel level: price}: in, a price or null (null removes the level's own price); out, the set ones."""

    def __init__(self, **kwargs: Any) -> None:
        child = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, allow_null=True)
        super().__init__(child=child, **kwargs)

    def to_representation(self, value: Any) -> dict[str, str]:
        return {p.channel_level: f"{p.price:.2f}" for p in value.all()}


class ProductSerializer(serializers.ModelSerializer):
    prices = PricesField(required=False, help_text=gettext_lazy(
        "Price per channel level (distributor, wholesaler, sub_wholesaler, retailer, end_user); "
        "a level not listed pays the list price."))
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False, help_text=gettext_lazy(
        "The version you read; required on update so concurrent edits are caught."))

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        read_only_fields = ["id", "created_at", "updated_at"]

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[Any, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("validators", None)  # uniqueness and ranges are checked once, in the service
        return field_class, kwargs


class ProductPriceListSerializer(serializers.Serializer):
    prices = PricesField()
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class ProductVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class ProductImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("An .xlsx, .xls or .csv file; row 1 holds the column names."))
    dry_run = serializers.BooleanField(default=False, help_text=gettext_lazy("Check only; write nothing."))


IMPORT_RESULT = inline_serializer("ProductImportResult", {
    "dry_run": serializers.BooleanField(), "rows": serializers.IntegerField(),
    "created": serializers.IntegerField(), "updated": serializers.IntegerField(),
    "unchanged": serializers.IntegerField(), "unknown_headers": serializers.ListField(child=serializers.CharField()),
})
IMPORT_ERRORS = inline_serializer("ProductImportErrors", {
    "detail": serializers.CharField(),
    "errors": serializers.ListField(child=inline_serializer("ProductImportRowError", {
        "row": serializers.IntegerField(), "column": serializers.CharField(),
        "value": serializers.CharField(), "message": serializers.CharField(),
    })),
})


class ProductFilter(df.FilterSet):
    q = df.CharFilter(method="search", label=gettext_lazy("Name, spec, SKU, pinyin or initials"), max_length=100)
    category = df.CharFilter(field_name="category", max_length=60)
    is_active = df.BooleanFilter(field_name="is_active")

    class Meta:
        model = Product
        fields: list[str] = []

    def search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return product_filter(queryset, q=value)


@extend_schema_view(
    update=extend_schema(responses={200: ProductSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: ProductSerializer, 409: CONFLICT}),
)
class ProductViewSet(viewsets.ModelViewSet):
    """The product catalogue (not customer data: every signed-in user reads all of it)."""

    serializer_class = ProductSerializer
    conflict_serializer = ProductSerializer
    filterset_class = ProductFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("sku", "name", "category", "list_price", "updated_at")
    default_ordering = ("sku", "id")
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Product.objects.none()

    def get_queryset(self) -> QuerySet[Product]:
        return Product.objects.prefetch_related("prices")

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if request.method not in SAFE_METHODS and not scope.can_manage_catalogue(request.user):
            raise exceptions.PermissionDenied(
                _("Only a director, a data custodian or an administrator may change the product catalogue."))

    def _get(self, pk: Any) -> Product:
        product = self.get_queryset().filter(pk=parse_id(pk)).first()
        if product is None:
            raise NotFound
        return product

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._get(pk)).data, status=code)

    def _body(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, [*WRITABLE, "prices", "version"])
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(request, partial=False)
        data.pop("version", None)
        prices = data.pop("prices", None)
        product = services.product_create(actor=request.user, data=data, prices=prices, request=request)
        return self._render(product.pk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self._get(kwargs["pk"])
        data = self._body(request, partial=kwargs.get("partial", False))
        version, prices = data.pop("version", None), data.pop("prices", None)
        services.product_update(actor=request.user, product_id=product.pk, data=data, version=version,
                                prices=prices, request=request)
        return self._render(product.pk)

    @extend_schema(request=ProductPriceListSerializer, responses={200: ProductSerializer, 409: CONFLICT})
    @action(detail=True, methods=["put"], filterset_class=None, pagination_class=None)
    def prices(self, request: Request, pk: str) -> Response:
        """Set the price list per channel level; a level sent as null falls back to the list price."""
        product = self._get(pk)
        body = ProductPriceListSerializer(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        services.product_price_set(actor=request.user, product_id=product.pk, prices=body.validated_data["prices"],
                                   version=body.validated_data["version"], request=request)
        return self._render(product.pk)

    @extend_schema(request=ProductVersionSerializer, responses={200: ProductSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def activate(self, request: Request, pk: str) -> Response:
        return self._set_active(request, pk, True)

    @extend_schema(request=ProductVersionSerializer, responses={200: ProductSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def deactivate(self, request: Request, pk: str) -> Response:
        """An inactive product stays on existing orders and plans but is not offered for new ones."""
        return self._set_active(request, pk, False)

    def _set_active(self, request: Request, pk: str, is_active: bool) -> Response:
        product = self._get(pk)
        body = ProductVersionSerializer(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        services.product_set_active(actor=request.user, product_id=product.pk, is_active=is_active,
                                    version=body.validated_data["version"], request=request)
        return self._render(product.pk)

    @extend_schema(request={"multipart/form-data": ProductImportSerializer},
                   responses={200: IMPORT_RESULT, 400: IMPORT_ERRORS})
    @action(detail=False, methods=["post"], url_path="import", filterset_class=None, pagination_class=None,
            parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        """Create or update products by SKU from a sheet, all or nothing. With `dry_run`, check and count only.
        Every problem is listed with its row, column, cell value and message; then nothing was written."""
        body = ProductImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = products_import_file(actor=request.user, source=body.validated_data["file"],
                                      dry_run=body.validated_data["dry_run"], request=request)
        if result.errors:
            return Response({
                "detail": _("The file has problems; nothing was imported."),
                "errors": [e.as_dict() for e in result.errors],
                "unknown_headers": result.unknown_headers,
            }, status=status.HTTP_400_BAD_REQUEST)
        return Response({"dry_run": result.dry_run, "rows": result.rows, "created": result.created,
                         "updated": result.updated, "unchanged": result.unchanged,
                         "unknown_headers": result.unknown_headers})


def register(router: BaseRouter) -> None:
    router.register("products", ProductViewSet, basename="product")

