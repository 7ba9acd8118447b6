"""Money in and out: payments, credit notes, refunds, their allocation to orders, planned collections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.scope import ScopedQuerySet
from kehu.sales.models.orders import Order
from kehu.sales.models.products import ZERO, money


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    CREDIT_NOTE = "credit_note", _("Credit note")
    REFUND = "refund", _("Refund")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CHEQUE = "cheque", _("Cheque")
    ACCEPTANCE = "acceptance", _("Bank acceptance bill")
    OTHER = "other", _("Other")


class PaymentQuerySet(ScopedQuerySet["Payment"]):
    customer_lookup = "customer"


class Payment(models.Model):
    """Money from a customer (payment), a reduction of what they owe (credit note), or money back (refund).

    `amount` is always positive. Payments and credit notes are allocated to orders; `unallocated`
    is what is left to allocate. A refund pays back unallocated money and is never allocated.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    date = models.DateField(_("date"), default=timezone.localdate)
    amount = models.DecimalField(_("amount"), **money)
    unallocated = models.DecimalField(_("unallocated"), default=ZERO, **money)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The collector (a rep) or the finance clerk who entered it.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("received by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            models.Index(fields=["customer", "date"], name="payment_customer_date_idx"),
            models.Index(fields=["date"], name="payment_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(unallocated__gte=0), name="payment_unallocated_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} · {self.date}"


class AllocationQuerySet(ScopedQuerySet["Allocation"]):
    customer_lookup = "order__customer"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("payment"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), **money)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = AllocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.order_id}: {self.amount}"


class CollectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Collected")
    CANCELLED = "cancelled", _("Cancelled")


class CollectionQuerySet(ScopedQuerySet["Collection"]):
    customer_lookup = "customer"


class Collection(models.Model):
    """A planned collection (回款计划): who collects how much from whom on which day."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collections", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="collections", verbose_name=_("order")
    )
    due_on = models.DateField(_("planned for"))
    amount = models.DecimalField(_("amount"), **money)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="collections",
        verbose_name=_("responsible"),
    )
    status = models.CharField(_("status"), max_length=16, choices=CollectionStatus.choices, default=CollectionStatus.OPEN)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reminded_before_at = models.DateTimeField(_("reminded before"), null=True, blank=True)
    reminded_due_at = models.DateTimeField(_("reminded on the day"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "-amount"]
        verbose_name = _("planned collection")
        verbose_name_plural = _("planned collections")
        indexes = [
            models.Index(fields=["responsible", "due_on"], name="collection_resp_due_idx", condition=Q(status="open")),
            models.Index(fields=["customer", "due_on"], name="collection_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.due_on} {self.amount}"
