"""`/api/v1/visit-plans/`, `/api/v1/routes/`, `/api/v1/field-profiles/`: weekly plans, day routes, profiles.

Thin: serializers parse and render; the rules live in `kehu.field.services.plans|routes|profiles`.
Every list starts from `visible_to(user)`; a rep the user may not see answers 404.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.core.api.fields import MAX_ID, IdField, IdFilter, parse_id, refuse_unknown_fields, validated_body
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import NotFound
from kehu.field.models import DayRoute, FieldProfile, PlanState, Visit, VisitPlan
from kehu.field.selectors import plans as selectors
from kehu.field.services import plans as services
from kehu.field.services.profiles import FIELDS as PROFILE_FIELDS
from kehu.field.services.profiles import field_profile_update
from kehu.field.services.routes import day_route_compute, why_text

CONFLICT = OpenApiResponse(description=gettext_lazy("Stale version: the body carries the current record under `current`."))


class PlanVisitSerializer(serializers.ModelSerializer):
    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    has_position = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = ["id", "customer", "customer_code", "customer_name", "planned_on", "sequence", "planned_arrival",
                  "reason", "status", "has_position", "version"]
        read_only_fields = fields

    def get_has_position(self, visit: Visit) -> bool:
        return visit.customer.lat is not None and visit.customer.lng is not None


class VisitPlanUnplannedSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.CharField()
    why = serializers.CharField()
    why_text = serializers.SerializerMethodField()

    def get_why_text(self, row: dict[str, Any]) -> str:
        return services.unplanned_why(row.get("why", ""))


class VisitPlanSerializer(serializers.ModelSerializer):
    rep = IdField(read_only=True)
    rep_name = serializers.CharField(source="rep.__str__", read_only=True)
    reviewed_by = IdField(read_only=True)
    visits = PlanVisitSerializer(source="visible_visits", many=True, read_only=True)
    unplanned = VisitPlanUnplannedSerializer(many=True, read_only=True)

    class Meta:
        model = VisitPlan
        fields = ["id", "rep", "rep_name", "week_start", "status", "generated_at", "submitted_at", "reviewed_by",
                  "reviewed_at", "review_note", "unplanned", "visits", "version", "created_at", "updated_at"]
        read_only_fields = fields


class VisitPlanGenerateSerializer(serializers.Serializer):
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    week_start = serializers.DateField(help_text=gettext_lazy("The Monday the week starts on, YYYY-MM-DD."))
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)


class VisitPlanActionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class VisitPlanAddSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    day = serializers.DateField()


class VisitPlanRemoveSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    visit = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class VisitPlanMoveSerializer(VisitPlanRemoveSerializer):
    day = serializers.DateField()


class VisitPlanFilter(df.FilterSet):
    rep = IdFilter(field_name="rep_id", label=gettext_lazy("rep"))
    week_start = df.DateFilter(label=gettext_lazy("week of (YYYY-MM-DD)"))
    status = df.ChoiceFilter(choices=PlanState.choices)

    class Meta:
        model = VisitPlan
        fields: list[str] = []


class VisitPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Weekly visit plans of the reps the user may see; generated, edited and reviewed through actions."""

    scoped = True
    serializer_class = VisitPlanSerializer
    conflict_serializer = VisitPlanSerializer
    filterset_class = VisitPlanFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("week_start", "updated_at")
    default_ordering = ("-week_start", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = VisitPlan.objects.none()

    def get_queryset(self) -> QuerySet[VisitPlan]:
        visits = Visit.objects.visible_to(self.request.user).select_related("customer").order_by(
            "planned_on", "sequence", "id")
        return selectors.plan_queryset(user=self.request.user).prefetch_related(
            Prefetch("visits", queryset=visits, to_attr="visible_visits"))

    def _render(self, plan_id: int, code: int = status.HTTP_200_OK) -> Response:
        plan = self.get_queryset().filter(pk=plan_id).first()
        return Response(self.get_serializer(plan).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=parse_id(kwargs["pk"]))
        return self._render(plan.pk)

    def _plan(self, pk: str) -> VisitPlan:
        return selectors.plan_get(user=self.request.user, plan_id=parse_id(pk))

    @extend_schema(request=VisitPlanGenerateSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None, filter_backends=[])
    def generate(self, request: Request) -> Response:
        data = validated_body(VisitPlanGenerateSerializer, request)
        rep = selectors.rep_get(user=request.user, rep_id=data["rep"])
        plan = services.visit_plan_generate(actor=request.user, rep=rep, week_start=data["week_start"],
                                            version=data.get("version"), request=request)
        return self._render(plan.pk)

    def _act(self, request: Request, pk: str, run: Any, **extra: Any) -> Response:
        data = validated_body(VisitPlanActionSerializer, request)
        plan = run(actor=request.user, plan=self._plan(pk), version=data["version"], request=request,
                   **{name: data[field] for name, field in extra.items()})
        return self._render(plan.pk)

    @extend_schema(request=VisitPlanActionSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.visit_plan_submit)

    @extend_schema(request=VisitPlanActionSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.visit_plan_approve, note="note")

    @extend_schema(request=VisitPlanActionSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, services.visit_plan_return, note="note")

    @extend_schema(request=VisitPlanAddSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def add(self, request: Request, pk: str) -> Response:
        plan = self._plan(pk)
        data = validated_body(VisitPlanAddSerializer, request)
        services.visit_plan_add(actor=request.user, plan=plan, customer_id=data["customer"], day=data["day"],
                                version=data["version"], request=request)
        return self._render(plan.pk)

    @extend_schema(request=VisitPlanRemoveSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def remove(self, request: Request, pk: str) -> Response:
        plan = self._plan(pk)
        data = validated_body(VisitPlanRemoveSerializer, request)
        services.visit_plan_remove(actor=request.user, plan=plan, visit_id=data["visit"], version=data["version"],
                                   request=request)
        return self._render(plan.pk)

    @extend_schema(request=VisitPlanMoveSerializer, responses={200: VisitPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        plan = self._plan(pk)
        data = validated_body(VisitPlanMoveSerializer, request)
        services.visit_plan_move(actor=request.user, plan=plan, visit_id=data["visit"], day=data["day"],
                                 version=data["version"], request=request)
        return self._render(plan.pk)


# --- day routes -------------------------------------------------------------------------------

class DayRouteUnservedSerializer(serializers.Serializer):
    visit = serializers.IntegerField()
    customer = serializers.IntegerField()
    why = serializers.CharField()
    why_text = serializers.SerializerMethodField()

    def get_why_text(self, row: dict[str, Any]) -> str:
        return why_text(row.get("why", ""))


class DayRouteSerializer(serializers.ModelSerializer):
    rep = IdField(read_only=True)
    unserved = DayRouteUnservedSerializer(many=True, read_only=True)

    class Meta:
        model = DayRoute
        fields = ["id", "rep", "day", "start_lat", "start_lng", "travel_seconds", "distance_m", "service_seconds",
                  "unserved", "source", "computed_at"]
        read_only_fields = fields


class DayRouteDetailSerializer(DayRouteSerializer):
    stops = serializers.SerializerMethodField()

    class Meta(DayRouteSerializer.Meta):
        fields = [*DayRouteSerializer.Meta.fields, "stops"]
        read_only_fields = fields

    def get_stops(self, route: DayRoute) -> list[dict[str, Any]]:
        visits = selectors.day_visits(user=self.context["request"].user, rep=route.rep_id, day=route.day)
        return list(PlanVisitSerializer(visits, many=True).data)


class DayRouteComputeSerializer(serializers.Serializer):
    rep = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    day = serializers.DateField()


class DayRouteFilter(df.FilterSet):
    rep = IdFilter(field_name="rep_id", label=gettext_lazy("rep"))
    day = df.DateFilter()

    class Meta:
        model = DayRoute
        fields: list[str] = []


class DayRouteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Computed day routes of the reps the user may see; the stops are the day's visits in order."""

    scoped = True
    serializer_class = DayRouteSerializer
    filterset_class = DayRouteFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("day",)
    default_ordering = ("-day", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = DayRoute.objects.none()

    def get_queryset(self) -> QuerySet[DayRoute]:
        return DayRoute.objects.visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DayRouteDetailSerializer if self.action in ("retrieve", "compute") else DayRouteSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        route = self.get_queryset().filter(pk=parse_id(kwargs["pk"])).first()
        if route is None:
            raise NotFound
        return Response(self.get_serializer(route).data)

    @extend_schema(request=DayRouteComputeSerializer, responses={200: DayRouteDetailSerializer})
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None, filter_backends=[])
    def compute(self, request: Request) -> Response:
        data = validated_body(DayRouteComputeSerializer, request)
        rep = selectors.rep_get(user=request.user, rep_id=data["rep"])
        route = day_route_compute(actor=request.user, rep=rep, day=data["day"], request=request)
        return Response(self.get_serializer(route).data)


# --- field profiles ---------------------------------------------------------------------------

class FieldProfileSerializer(serializers.ModelSerializer):
    user = IdField(read_only=True)
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False,
                                       help_text=gettext_lazy("The version you read; required on update."))

    class Meta:
        model = FieldProfile
        fields = ["user", *PROFILE_FIELDS, "version"]


class FieldProfileViewSet(viewsets.GenericViewSet):
    """`field-profiles/{user id}/`: a rep's working days, hours, base point and visit limits."""

    scoped = True
    serializer_class = FieldProfileSerializer
    conflict_serializer = FieldProfileSerializer
    lookup_value_regex = r"[0-9]+"
    queryset = FieldProfile.objects.none()
    pagination_class = None

    def retrieve(self, request: Request, pk: str) -> Response:
        rep = selectors.rep_get(user=request.user, rep_id=parse_id(pk))
        return Response(self.get_serializer(FieldProfile.for_user(rep)).data)

    @extend_schema(responses={200: FieldProfileSerializer, 409: CONFLICT})
    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        rep = selectors.rep_get(user=request.user, rep_id=parse_id(pk))
        body = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version", None)
        profile = field_profile_update(actor=request.user, rep=rep, data=data, version=version, request=request)
        return Response(self.get_serializer(profile).data)

    @extend_schema(responses={200: FieldProfileSerializer, 409: CONFLICT})
    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


def register(router: BaseRouter) -> None:
    router.register("visit-plans", VisitPlanViewSet, basename="visit-plan")
    router.register("routes", DayRouteViewSet, basename="day-route")
    router.register("field-profiles", FieldProfileViewSet, basename="field-profile")
