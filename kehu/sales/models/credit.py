"""Credit control: the limit policy per rating, holds at order time, review suggestions, lifecycle settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.scope import ScopedQuerySet
from kehu.core import validators as v
from kehu.customers.models import Tier
from kehu.sales.models.orders import Order
from kehu.sales.models.products import ZERO, money

# A card without a credit rating is governed by this policy row.
UNRATED = "-"


class CreditPolicy(models.Model):
    """The default limit for a credit rating, and how late a customer may be before orders are held.

    A card's own `credit_limit` overrides the default when it is above zero (see docs/architecture.md).
    """

    rating = models.CharField(
        _("credit rating"), max_length=1, unique=True, choices=[*Tier.choices, (UNRATED, _("Unrated"))]
    )
    default_limit = models.DecimalField(_("default limit"), default=ZERO, validators=[v.validate_non_negative], **money)
    max_overdue_days = models.PositiveSmallIntegerField(
        _("hold when anything is overdue more than (days)"), default=30
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["rating"]
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")

    def __str__(self) -> str:
        return f"{self.get_rating_display()}: {self.default_limit}"


class HoldStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CreditHoldQuerySet(ScopedQuerySet["CreditHold"]):
    customer_lookup = "customer"

    def pending(self) -> CreditHoldQuerySet:
        return self.filter(status=HoldStatus.PENDING)


class CreditHold(models.Model):
    """An order stopped at confirmation by the credit check, waiting in the queue for finance or the manager."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds", verbose_name=_("order"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_holds", verbose_name=_("customer")
    )
    status = models.CharField(_("status"), max_length=16, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    # What the check saw: exposure, limit, order total, oldest overdue days, the reasons.
    exposure = models.DecimalField(_("exposure"), **money)
    credit_limit = models.DecimalField(_("credit limit"), **money)
    overdue_days = models.PositiveIntegerField(_("days overdue"), default=0)
    reasons = models.JSONField(_("reasons"), default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    one_off_raise = models.DecimalField(
        _("one-off raise"), null=True, blank=True, validators=[v.validate_non_negative], **money
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CreditHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        indexes = [models.Index(fields=["status", "created_at"], name="hold_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="pending"), name="hold_one_pending_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_status_display()}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class CreditSuggestionQuerySet(ScopedQuerySet["CreditSuggestion"]):
    customer_lookup = "customer"


class CreditSuggestion(models.Model):
    """A proposed change of a customer's limit, with the evidence; applied only when a person accepts."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="credit_suggestions", verbose_name=_("customer")
    )
    current_limit = models.DecimalField(_("current limit"), **money)
    suggested_limit = models.DecimalField(_("suggested limit"), **money)
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CreditSuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit suggestion")
        verbose_name_plural = _("credit suggestions")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="open"), name="suggestion_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.current_limit} → {self.suggested_limit}"

    @property
    def is_raise(self) -> bool:
        return self.suggested_limit > self.current_limit


class LifecycleRule(models.Model):
    """Per tier: how many days without an order turn an active customer dormant."""

    tier = models.CharField(_("tier"), max_length=1, unique=True, choices=Tier.choices)
    dormant_after_days = models.PositiveSmallIntegerField(_("dormant after (days without orders)"), default=90)

    class Meta:
        ordering = ["tier"]
        verbose_name = _("lifecycle rule")
        verbose_name_plural = _("lifecycle rules")

    def __str__(self) -> str:
        return f"{self.tier}: {self.dormant_after_days}"
