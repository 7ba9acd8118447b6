"""Sales records (orders) and their lines.

An order is a receivable from the moment it is confirmed: `total` is what the buyer owes,
`paid` what allocations have settled, `open_amount` the difference (stored, so ageing and
exposure read one partial index instead of summing allocations).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.accounts.scope import ScopedQuerySet
from kehu.core import validators as v
from kehu.sales.models.products import ZERO, Product, money, quantity


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    HELD = "held", _("On credit hold")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# Orders that count as sales and as receivables.
BOOKED = (OrderStatus.CONFIRMED, OrderStatus.DELIVERED)


class Settlement(models.TextChoices):
    CASH = "cash", _("Cash on delivery")
    PREPAID = "prepaid", _("Prepaid")
    CREDIT = "credit", _("On credit terms")


class OrderSource(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    COPY = "copy", _("Copy")
    DEMO = "demo", _("Demo")


class OrderQuerySet(ScopedQuerySet["Order"]):
    customer_lookup = "customer"

    def booked(self) -> OrderQuerySet:
        return self.filter(status__in=BOOKED)

    def open(self) -> OrderQuerySet:
        """Booked orders with money still to collect."""
        return self.filter(status__in=BOOKED, open_amount__gt=0)

    def overdue(self, on: object = None) -> OrderQuerySet:
        day = on or timezone.localdate()
        return self.open().filter(due_date__lt=day)


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    # Null: our company sells. Set: channel sell-through, an upstream customer sells to `customer`.
    seller = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="sales_orders",
        verbose_name=_("seller"),
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders_taken",
        verbose_name=_("sales rep"),
    )
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    settlement = models.CharField(_("settlement"), max_length=16, choices=Settlement.choices, default=Settlement.CREDIT)
    source = models.CharField(_("source"), max_length=16, choices=OrderSource.choices, default=OrderSource.WEB)
    total = models.DecimalField(_("total"), default=ZERO, **money)
    paid = models.DecimalField(_("paid"), default=ZERO, **money)
    open_amount = models.DecimalField(_("open amount"), default=ZERO, **money)
    note = models.CharField(_("note"), max_length=300, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["version", "updated_at", "created_at"], related_name="history_records")

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "order_date"], name="order_customer_date_idx"),
            models.Index(fields=["status", "order_date"], name="order_status_date_idx"),
            models.Index(fields=["rep", "order_date"], name="order_rep_date_idx"),
            models.Index(fields=["seller", "order_date"], name="order_seller_date_idx"),
            # Ageing, exposure and the overdue list read only open receivables.
            models.Index(
                fields=["due_date", "customer"], name="order_open_due_idx",
                condition=Q(open_amount__gt=0, status__in=["confirmed", "delivered"]),
            ),
            models.Index(
                fields=["customer", "due_date"], name="order_open_customer_idx",
                condition=Q(open_amount__gt=0, status__in=["confirmed", "delivered"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid__gte=0), name="order_paid_non_negative"),
            models.CheckConstraint(condition=Q(open_amount__gte=0), name="order_open_non_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_booked(self) -> bool:
        return self.status in BOOKED

    @property
    def is_editable(self) -> bool:
        return self.status == OrderStatus.DRAFT


class OrderLineQuerySet(ScopedQuerySet["OrderLine"]):
    customer_lookup = "order__customer"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    line_no = models.PositiveSmallIntegerField(_("line"), default=1)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product"))
    spec = models.CharField(_("spec"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), validators=[v.validate_non_negative], **quantity)
    unit_price = models.DecimalField(_("unit price"), validators=[v.validate_non_negative], **money)
    discount = models.DecimalField(_("discount"), default=ZERO, validators=[v.validate_non_negative], **money)
    amount = models.DecimalField(_("amount"), **money)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["order", "line_no"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_idx")]

    def __str__(self) -> str:
        return f"{self.order} #{self.line_no}"
