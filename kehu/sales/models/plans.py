"""Monthly sales plans (销售计划) per customer: product targets and support items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.accounts.scope import ScopedQuerySet
from kehu.core import validators as v
from kehu.sales.models.products import ZERO, Product, money, quantity


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class SupportKind(models.TextChoices):
    PROMOTION = "promotion", _("Promotion")
    DISPLAY = "display", _("Display")
    TRAINING = "training", _("Training")
    DELIVERY = "delivery", _("Delivery")
    OTHER = "other", _("Other")


class SalesPlanQuerySet(ScopedQuerySet["SalesPlan"]):
    customer_lookup = "customer"


class SalesPlan(models.Model):
    """One customer's plan for one month. `month` is the first day of the month."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="plans", verbose_name=_("customer")
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # Denormalised sums of the lines, kept by the services, so rollups read one row per plan.
    total_quantity = models.DecimalField(_("planned quantity"), default=ZERO, **quantity)
    total_amount = models.DecimalField(_("planned amount"), default=ZERO, **money)
    support_cost = models.DecimalField(_("support cost"), default=ZERO, **money)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["version", "updated_at", "created_at"], related_name="history_records")

    objects = SalesPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "customer"]
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="plan_customer_month_unique")]
        indexes = [models.Index(fields=["month", "customer"], name="plan_month_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer} {self.month:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        """Submitted and approved plans change only by being returned to draft, on the record."""
        return self.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


class PlanLineQuerySet(ScopedQuerySet["PlanLine"]):
    customer_lookup = "plan__customer"


class PlanLine(models.Model):
    plan = models.ForeignKey(SalesPlan, on_delete=models.CASCADE, related_name="lines", verbose_name=_("plan"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plan_lines", verbose_name=_("product"))
    quantity = models.DecimalField(_("quantity"), validators=[v.validate_non_negative], **quantity)
    amount = models.DecimalField(_("amount target"), validators=[v.validate_non_negative], **money)
    schedule = models.CharField(_("schedule"), max_length=100, blank=True, help_text=_("e.g. 上旬 30 箱，下旬 20 箱"))

    objects = PlanLineQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        constraints = [models.UniqueConstraint(fields=["plan", "product"], name="planline_plan_product_unique")]
        indexes = [models.Index(fields=["product", "plan"], name="planline_product_idx")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.product}"


class PlanSupportQuerySet(ScopedQuerySet["PlanSupport"]):
    customer_lookup = "plan__customer"


class PlanSupport(models.Model):
    """What the company will do to help the customer sell: promotion, display, training, delivery."""

    plan = models.ForeignKey(SalesPlan, on_delete=models.CASCADE, related_name="supports", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=16, choices=SupportKind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    cost = models.DecimalField(_("cost"), default=ZERO, validators=[v.validate_non_negative], **money)

    objects = PlanSupportQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("support item")
        verbose_name_plural = _("support items")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cost}"

