"""`/api/v1/route-reviews/` (per-rep figures for a month or quarter) and `/api/v1/territory-suggestions/`
(list, generate, accept, reject). Managers, the director and admins only; reps get 403. A suggestion
already decided answers 409 with its current state."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.accounts import scope
from kehu.core.api.fields import IdField, parse_id
from kehu.core.errors import VersionConflict
from kehu.field.models import SuggestionState, TerritorySuggestion
from kehu.field.selectors.review import RepReview, period_parse, route_review
from kehu.field.selectors.territory import suggestion_get, suggestion_list
from kehu.field.services import territory as services

DECIDED = OpenApiResponse(description="Already decided (or the card has moved): the body carries it under `current`.")
PERIOD_PARAMS = [
    OpenApiParameter("period", OpenApiTypes.STR, description="A month, YYYY-MM (default: the current month)."),
    OpenApiParameter("quarter", OpenApiTypes.STR, description="A quarter, YYYYQn (instead of `period`)."),
]


class ReviewsFieldWork(permissions.BasePermission):
    message = "The route review is for managers, the director and admins."

    def has_permission(self, request: Request, view: Any) -> bool:
        return scope.can_review_field_work(request.user)


class RouteReviewSerializer(serializers.Serializer):
    rep = serializers.IntegerField(source="rep.pk")
    rep_name = serializers.CharField(source="rep.display_name")
    working_days = serializers.IntegerField()
    field_days = serializers.IntegerField()
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    missed = serializers.IntegerField()
    customers = serializers.IntegerField()
    distance_m = serializers.IntegerField()
    travel_s = serializers.IntegerField()
    service_s = serializers.IntegerField()
    km_per_day = serializers.FloatField()
    travel_minutes_per_day = serializers.FloatField()
    customers_per_day = serializers.FloatField()
    travel_share = serializers.FloatField(allow_null=True)


def _period(request: Request) -> Any:
    params = request.query_params
    return period_parse(period=params.get("period", ""), quarter=params.get("quarter", ""))


def _rep_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ValidationError({"rep": [_("Give a rep's id, a whole number.")]})
    return int(value)


class RouteReviewViewSet(viewsets.ViewSet):
    """One row per rep the user reviews (a manager's subtree; everyone for the director and admins)."""

    permission_classes = [permissions.IsAuthenticated, ReviewsFieldWork]

    @extend_schema(
        parameters=[*PERIOD_PARAMS, OpenApiParameter("rep", OpenApiTypes.INT, description="One rep's row.")],
        responses=inline_serializer("RouteReviewPage", {
            "period": serializers.CharField(), "start": serializers.DateField(), "end": serializers.DateField(),
            "next": serializers.CharField(allow_null=True), "previous": serializers.CharField(allow_null=True),
            "results": RouteReviewSerializer(many=True),
        }),
    )
    def list(self, request: Request) -> Response:
        period = _period(request)
        rep = request.query_params.get("rep")
        rows: list[RepReview] = route_review(user=request.user, period=period,
                                             rep_ids=[_rep_id(rep)] if rep else None)
        return Response({
            "period": period.label, "start": period.start, "end": period.end, "next": None, "previous": None,
            "results": RouteReviewSerializer(rows, many=True).data,
        })


class TerritorySuggestionSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    from_rep = IdField(read_only=True)
    to_rep = IdField(read_only=True)
    decided_by = IdField(read_only=True)

    class Meta:
        model = TerritorySuggestion
        fields = ["id", "customer", "customer_name", "from_rep", "to_rep", "period_start", "period_end", "why",
                  "travel_change_s", "status", "decided_by", "decided_at", "created_at"]
        read_only_fields = fields


class GenerateSerializer(serializers.Serializer):
    period = serializers.CharField(required=False, allow_blank=True, help_text="YYYY-MM")
    quarter = serializers.CharField(required=False, allow_blank=True, help_text="YYYYQn")
    reps = serializers.ListField(child=serializers.IntegerField(), required=False,
                                 help_text=gettext_lazy("Only these reps (of those the user reviews)."))


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("status", OpenApiTypes.STR, enum=SuggestionState.values, description="Every status when absent."),
    *PERIOD_PARAMS,
]))
class TerritorySuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Suggestions on customers the user may see, the largest travel saving first."""

    scoped = True
    permission_classes = [permissions.IsAuthenticated, ReviewsFieldWork]
    serializer_class = TerritorySuggestionSerializer
    conflict_serializer = TerritorySuggestionSerializer
    filter_backends: list[Any] = []
    ordering_fields = ("travel_change_s",)
    default_ordering = ("travel_change_s", "id")
    lookup_value_regex = r"[0-9]+"
    queryset = TerritorySuggestion.objects.none()

    def get_queryset(self) -> QuerySet[TerritorySuggestion]:
        params = self.request.query_params
        if self.action != "list":
            return suggestion_list(user=self.request.user)
        period = _period(self.request) if ("period" in params or "quarter" in params) else None
        return suggestion_list(user=self.request.user, status=params.get("status", ""),
                               period_start=period.start if period else None,
                               period_end=period.end if period else None)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    @extend_schema(request=GenerateSerializer, responses={201: TerritorySuggestionSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        """Propose moves for the period; the period's earlier proposals become outdated."""
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        body = GenerateSerializer(data=data)
        body.is_valid(raise_exception=True)
        period = period_parse(period=body.validated_data.get("period", ""),
                              quarter=body.validated_data.get("quarter", ""))
        made = services.territory_suggest(actor=request.user, period_start=period.start, period_end=period.end,
                                          reps=body.validated_data.get("reps"))
        rows = suggestion_list(user=request.user).filter(pk__in=[s.pk for s in made])
        return Response(self.get_serializer(rows, many=True).data, status=201)

    @extend_schema(request=None, responses={200: TerritorySuggestionSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Give the card to `to_rep` and cancel `from_rep`'s planned visits to it from today on."""
        done = services.territory_suggestion_accept(actor=request.user, suggestion_id=self._get(pk).pk,
                                                    request=request)
        if done.status != SuggestionState.ACCEPTED:
            raise VersionConflict(done)
        return Response(self.get_serializer(self._get(done.pk)).data)

    @extend_schema(request=None, responses={200: TerritorySuggestionSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Close the suggestion; the card stays with its rep."""
        done = services.territory_suggestion_reject(actor=request.user, suggestion_id=self._get(pk).pk,
                                                    request=request)
        return Response(self.get_serializer(self._get(done.pk)).data)

    def _get(self, pk: Any) -> TerritorySuggestion:
        return suggestion_get(user=self.request.user, suggestion_id=parse_id(pk))


def register(router: BaseRouter) -> None:
    router.register("route-reviews", RouteReviewViewSet, basename="route-review")
    router.register("territory-suggestions", TerritorySuggestionViewSet, basename="territory-suggestion")
