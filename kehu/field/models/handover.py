"""Handover (交接): a rep's work passed to a delegate for a leave, or to successors at departure."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.scope import ScopedQuerySet
from kehu.field.models.visits import RepScopedQuerySet


class HandoverKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    DEPARTURE = "departure", _("Departure")


class HandoverState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPLIED = "applied", _("Handed over")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CANCELLED = "cancelled", _("Cancelled")


class Handover(models.Model):
    """Who hands over (`rep`), why, when. Items say which customer goes to whom."""

    kind = models.CharField(_("kind"), max_length=16, choices=HandoverKind.choices)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("rep")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=HandoverState.choices, default=HandoverState.DRAFT)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    applied_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = RepScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rep} {self.starts_on:%Y-%m-%d}"


class HandoverItemQuerySet(ScopedQuerySet["HandoverItem"]):
    customer_lookup = "customer"


class HandoverItem(models.Model):
    """One customer of a handover and its successor (or delegate), with what was open at the time."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="items", verbose_name=_("handover"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="handover_items", verbose_name=_("customer")
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handover_items", verbose_name=_("successor")
    )
    # The loan that carries a leave; it expires by itself at the end of the leave.
    grant = models.ForeignKey(
        "accounts.AccessGrant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("card loan"),
    )
    # Frozen at hand-over time for the report: receivables, pending plans, last visits, notes.
    snapshot = models.JSONField(_("snapshot"), default=dict, blank=True)
    moved = models.JSONField(_("moved"), default=dict, blank=True)  # {"visits": [...], "collections": [...]}
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    objects = HandoverItemQuerySet.as_manager()

    class Meta:
        ordering = ["handover_id", "id"]
        verbose_name = _("handover item")
        verbose_name_plural = _("handover items")
        constraints = [
            models.UniqueConstraint(fields=["handover", "customer"], name="handoveritem_customer_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.successor_id}"
