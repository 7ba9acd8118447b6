"""`/api/v1/credit-holds/` (the hold queue and its decisions), `/api/v1/credit-policies/` and
`/api/v1/lifecycle-rules/` (company settings: everyone reads, admins write)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from kehu.accounts import scope
from kehu.core.api.fields import IdField, IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import Forbidden, NotFound
from kehu.sales.models import CreditHold, CreditPolicy, HoldStatus, LifecycleRule
from kehu.sales.selectors.credit import hold_get, hold_queue
from kehu.sales.services import credit as services


class CreditHoldSerializer(serializers.ModelSerializer):
    order = IdField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    order_total = serializers.DecimalField(source="order.total", max_digits=14, decimal_places=2, read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)
    customer = IdField(read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    requested_by = IdField(read_only=True)
    decided_by = IdField(read_only=True)

    class Meta:
        model = CreditHold
        fields = [
            "id", "order", "order_number", "order_total", "order_status", "customer", "customer_code",
            "customer_name", "status", "exposure", "credit_limit", "overdue_days", "reasons", "requested_by",
            "decided_by", "decided_at", "decision_reason", "one_off_raise", "created_at",
        ]
        read_only_fields = fields


class HoldDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True)
    one_off_raise = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0,
        help_text=gettext_lazy("Approve only: this much above the limit, for this order only."),
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True)


class HoldFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=HoldStatus.choices)
    customer = IdFilter(field_name="customer_id")
    order = IdFilter(field_name="order_id")

    class Meta:
        model = CreditHold
        fields: list[str] = []


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    body = serializer_class(data=request.data)
    refuse_unknown_fields(request.data, body.fields)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class CreditHoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Holds on the orders of customers the user may see, newest first (`?status=pending` for the
    queue). Finance, the director, admins and the card's manager decide; everyone else reads."""

    scoped = True
    serializer_class = CreditHoldSerializer
    filterset_class = HoldFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("created_at",)
    default_ordering = ("-created_at", "-id")
    lookup_value_regex = r"[0-9]+"
    queryset = CreditHold.objects.none()

    def get_queryset(self) -> QuerySet[CreditHold]:
        return hold_queue(user=self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(hold_get(user=request.user, hold_id=parse_id(kwargs["pk"]))).data)

    @extend_schema(request=HoldDecisionSerializer, responses=CreditHoldSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Book the held order (reason required; optionally a one-off raise for this order only)."""
        hold = hold_get(user=request.user, hold_id=parse_id(pk))
        data = _body(HoldDecisionSerializer, request)
        services.hold_approve(actor=request.user, hold=hold, reason=data["reason"],
                              one_off_raise=data.get("one_off_raise"))
        return Response(self.get_serializer(hold_get(user=request.user, hold_id=hold.pk)).data)

    @extend_schema(request=RejectSerializer, responses=CreditHoldSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Send the held order back to draft (reason required)."""
        hold = hold_get(user=request.user, hold_id=parse_id(pk))
        data = _body(RejectSerializer, request)
        services.hold_reject(actor=request.user, hold=hold, reason=data["reason"])
        return Response(self.get_serializer(hold_get(user=request.user, hold_id=hold.pk)).data)


class CreditPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditPolicy
        fields = ["id", "rating", "default_limit", "max_overdue_days", "updated_at"]
        read_only_fields = ["id", "rating", "updated_at"]
        extra_kwargs = {"default_limit": {"min_value": 0}, "max_overdue_days": {"max_value": 3650}}


class LifecycleRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = LifecycleRule
        fields = ["id", "tier", "dormant_after_days"]
        read_only_fields = ["id", "tier"]
        extra_kwargs = {"dormant_after_days": {"min_value": 1, "max_value": 3650}}


class _SettingsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                       viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []
    # Each settings viewset below defines save(current, data) through its own service.
    save: Callable[[Any, dict[str, Any]], Any]

    def get_object(self) -> Any:
        found = self.get_queryset().filter(pk=parse_id(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound
        return found

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        current = self.get_object()
        if not scope.can_manage_credit_policy(request.user):
            raise Forbidden(_("Only an administrator can change the credit policy."))
        saved = self.save(current, _body(self.serializer_class, request))
        return Response(self.get_serializer(saved).data)


class CreditPolicyViewSet(_SettingsViewSet):
    """The default limit and the overdue tolerance per credit rating ("-": unrated)."""

    serializer_class = CreditPolicySerializer
    queryset = CreditPolicy.objects.order_by("rating")
    default_ordering = ("rating", "id")

    def save(self, current: CreditPolicy, data: dict[str, Any]) -> CreditPolicy:
        return services.credit_policy_update(
            actor=self.request.user, policy=current, default_limit=data.get("default_limit"),
            max_overdue_days=data.get("max_overdue_days"),
        )


class LifecycleRuleViewSet(_SettingsViewSet):
    """Per tier: how many days without a booked order turn an active customer dormant."""

    serializer_class = LifecycleRuleSerializer
    queryset = LifecycleRule.objects.order_by("tier")
    default_ordering = ("tier", "id")

    def save(self, current: LifecycleRule, data: dict[str, Any]) -> LifecycleRule:
        if "dormant_after_days" not in data:
            return current
        return services.lifecycle_rule_update(
            actor=self.request.user, rule=current, dormant_after_days=data["dormant_after_days"]
        )


def register(router: BaseRouter) -> None:
    router.register("credit-holds", CreditHoldViewSet, basename="credit-hold")
    router.register("credit-policies", CreditPolicyViewSet, basename="credit-policy")
    router.register("lifecycle-rules", LifecycleRuleViewSet, basename="lifecycle-rule")
