"""`/api/v1/credit-suggestions/`: credit-review suggestions with their evidence; accept (optionally
with another limit) or dismiss. An already decided suggestion answers 409 with its current state."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import IdField, parse_id, refuse_unknown_fields
from kehu.sales.models import CreditSuggestion, SuggestionStatus
from kehu.sales.selectors.credit_review import KINDS, suggestion_get, suggestion_list
from kehu.sales.services import credit_review as services

DECIDED = OpenApiResponse(description="Already accepted or dismissed: the body carries it under `current`.")


class CreditSuggestionSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    kind = serializers.SerializerMethodField()
    decided_by = IdField(read_only=True)

    class Meta:
        model = CreditSuggestion
        fields = [
            "id", "customer", "customer_code", "customer_name", "kind", "status", "current_limit",
            "suggested_limit", "evidence", "decided_by", "decided_at", "created_at",
        ]
        read_only_fields = fields

    def get_kind(self, obj: CreditSuggestion) -> str:
        return "raise" if obj.is_raise else "lower"


class AcceptSerializer(serializers.Serializer):
    limit = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True,
        help_text="The new credit limit (above zero); the suggested one when absent.",
    )


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = request.data if request.data is not None else {}
    if hasattr(data, "dict") and not isinstance(data, dict):
        data = data.dict()
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    body = serializer_class(data=data)
    refuse_unknown_fields(data, body.fields)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("kind", OpenApiTypes.STR, enum=KINDS, description="raise or lower; both when absent."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=SuggestionStatus.values,
                     description="open (the default), accepted or dismissed; `all` for every status."),
]))
class CreditSuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Suggestions on customers the user may see, newest first. Finance, the director, admins and the
    customer's manager decide; everyone else reads."""

    scoped = True
    serializer_class = CreditSuggestionSerializer
    conflict_serializer = CreditSuggestionSerializer
    filter_backends: list[Any] = []
    ordering_fields = ("created_at",)
    default_ordering = ("-created_at", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = CreditSuggestion.objects.none()

    def get_queryset(self) -> QuerySet[CreditSuggestion]:
        params = self.request.query_params
        if self.action != "list":
            return suggestion_list(user=self.request.user, status="")
        status = params.get("status", SuggestionStatus.OPEN)
        return suggestion_list(user=self.request.user, kind=params.get("kind", ""),
                               status="" if status == "all" else status)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    @extend_schema(request=AcceptSerializer, responses={200: CreditSuggestionSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Set the card's credit limit (the suggested one, or `limit`) and close the suggestion."""
        suggestion = self._get(pk)
        data = _body(AcceptSerializer, request)
        done = services.credit_suggestion_accept(actor=request.user, suggestion=suggestion,
                                                 limit=data.get("limit"), request=request)
        return Response(self.get_serializer(self._get(done.pk)).data)

    @extend_schema(request=None, responses={200: CreditSuggestionSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str) -> Response:
        """Close the suggestion without changing the card."""
        suggestion = self._get(pk)
        done = services.credit_suggestion_dismiss(actor=request.user, suggestion=suggestion, request=request)
        return Response(self.get_serializer(self._get(done.pk)).data)

    def _get(self, pk: Any) -> CreditSuggestion:
        return suggestion_get(user=self.request.user, suggestion_id=parse_id(pk))


def register(router: BaseRouter) -> None:
    router.register("credit-suggestions", CreditSuggestionViewSet, basename="credit-suggestion")
