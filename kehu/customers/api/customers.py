"""`/api/v1/customers/`: the customer card over REST. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.accounts import scope
from kehu.accounts.audit import card_view_record
from kehu.core.api.fields import parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.masking import mask_value
from kehu.customers import services
from kehu.customers.api.merge import MergeSerializer
from kehu.customers.api.pagination import CountedCursorPagination
from kehu.customers.api.serializers import (
    CustomerSerializer,
    HistoryEntrySerializer,
    HistoryPageSerializer,
    PurgeSerializer,
)
from kehu.customers.dedupe import LikelyDuplicates, Match
from kehu.customers.export import XLSX_TYPE, ExportFormat, customer_export, export_response
from kehu.customers.filters import ORDERING_FIELDS, CustomerListFilter
from kehu.customers.merge_selectors import customer_get_resolved
from kehu.customers.models import Customer
from kehu.customers.selectors import (
    SENSITIVE_CUSTOMER_FIELDS,
    customer_get,
    customer_history,
    customer_queryset,
)

CONFLICT = OpenApiResponse(
    description=_("Stale version: the body carries the current record under `current`.")
)

LIKELY_DUPLICATES = OpenApiResponse(
    description=_("Visible cards look like this one: nothing was created; send `confirm_duplicates: true` to create it.")
)


def _duplicates_body(matches: list[Match]) -> dict[str, Any]:
    return {
        "detail": gettext("Cards you can see look like this customer; send confirm_duplicates: true to create it anyway."),
        "code": "likely_duplicates",
        "matches": [
            {"id": m.customer.pk, "code": m.customer.code, "name": m.customer.name, "score": m.score, "reasons": m.reasons}
            for m in matches
        ],
    }

class FileFormatNegotiation(DefaultContentNegotiation):
    """On the export, ?format= names the file (csv, xlsx), which the service validates; not a DRF renderer."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    destroy=extend_schema(summary=_("Archive a card (it leaves daily work; a custodian can restore it).")),
    update=extend_schema(responses={200: CustomerSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: CustomerSerializer, 409: CONFLICT}),
)
class CustomerViewSet(viewsets.ModelViewSet):
    """Customer cards the asking user may see. Invisible cards answer 404, like missing ones."""

    scoped = True
    serializer_class = CustomerSerializer
    conflict_serializer = CustomerSerializer
    filterset_class = CustomerListFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = CountedCursorPagination
    ordering_fields = ORDERING_FIELDS
    default_ordering = ("-updated_at", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_queryset(user=self.request.user)

    @extend_schema(description=_("The id of a card merged into another answers the surviving card (its own id)."))
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = customer_get_resolved(user=request.user, customer_id=parse_id(kwargs["pk"])).customer
        card_view_record(actor=request.user, customer=customer, request=request)
        return Response(self.get_serializer(customer).data)

    @extend_schema(responses={201: CustomerSerializer, 409: LIKELY_DUPLICATES})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._card_data(request, partial=False, also_known=("confirm_duplicates",))
        data.pop("version", None)
        confirmed = request.data.get("confirm_duplicates") in (True, "true", "1")
        try:
            customer = services.customer_create(
                actor=request.user, data=data, request=request, confirm_duplicates=confirmed
            )
        except LikelyDuplicates as twins:
            return Response(_duplicates_body(twins.matches), status=status.HTTP_409_CONFLICT)
        return Response(self._render(customer.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = customer_get(user=request.user, customer_id=parse_id(kwargs["pk"]))
        data = self._card_data(request, partial=kwargs.get("partial", False))
        version = data.pop("version", None)
        data = self._drop_masked_echoes(customer, data)
        services.customer_update(
            actor=request.user, customer_id=customer.pk, data=data, version=version, request=request
        )
        return Response(self._render(customer.pk))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.customer_archive(actor=request.user, customer_id=parse_id(kwargs["pk"]), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        customer = services.customer_restore(actor=request.user, customer_id=parse_id(pk), request=request)
        return Response(self._render(customer.pk))

    @extend_schema(
        summary=_("Merge another card into this one (custodians and admins)."),
        request=MergeSerializer, responses={200: CustomerSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        body = MergeSerializer(data=request.data)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        survivor = services.customer_merge(
            request.user, survivor=parse_id(pk), merged=data["merged"], choices=data["choices"],
            survivor_version=data["version"], merged_version=data["merged_version"], request=request,
        )
        return Response(self._render(survivor.pk))

    @extend_schema(request=PurgeSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def purge(self, request: Request, pk: str) -> Response:
        body = PurgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        services.customer_purge(actor=request.user, customer_id=parse_id(pk), reason=reason, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=HistoryPageSerializer, filters=False)
    @extend_schema(
        summary=_("The filtered list as CSV or .xlsx: visible cards only, masked as on screen; needs the export permission."),
        parameters=[OpenApiParameter("format", str, enum=ExportFormat.values, default=ExportFormat.CSV.value)],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, XLSX_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None, filter_backends=[],
            content_negotiation_class=FileFormatNegotiation)
    def export(self, request: Request) -> HttpResponseBase:
        export = customer_export(user=request.user, params=request.query_params, request=request)
        return export_response(export)

    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str) -> Response:
        """Who changed which field of the card and its contacts, from what to what; newest first.
        A merged-away card's id answers the survivor's history (which includes the merged card's)."""
        customer = customer_get_resolved(user=request.user, customer_id=parse_id(pk)).customer
        card_view_record(actor=request.user, customer=customer, request=request)
        entries = customer_history(user=request.user, customer=customer)
        results = HistoryEntrySerializer(entries, many=True).data
        return Response({"next": None, "previous": None, "results": results})

    # --- helpers -----------------------------------------------------------------------------

    def _card_data(self, request: Request, *, partial: bool, also_known: tuple[str, ...] = ()) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, [*serializer.fields, *also_known])
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _drop_masked_echoes(self, customer: Customer, data: dict[str, Any]) -> dict[str, Any]:
        """A client that read a masked card and sends it back unchanged has not edited those fields."""
        if scope.can_see_sensitive(self.request.user, customer):
            return data
        return {
            name: value for name, value in data.items()
            if not (name in SENSITIVE_CUSTOMER_FIELDS and value == mask_value(getattr(customer, name)))
        }

    def _render(self, customer_id: int) -> dict[str, Any]:
        return dict(self.get_serializer(customer_get(user=self.request.user, customer_id=customer_id)).data)
