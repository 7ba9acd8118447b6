"""Suggestions from the route and territory review: move a customer from one rep to a neighbour."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.scope import ScopedQuerySet


class SuggestionState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    OUTDATED = "outdated", _("Outdated")


class TerritorySuggestionQuerySet(ScopedQuerySet["TerritorySuggestion"]):
    customer_lookup = "customer"


class TerritorySuggestion(models.Model):
    """Applied only when a manager accepts it; the card's owner changes then, audited."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="territory_suggestions",
        verbose_name=_("customer"),
    )
    from_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("from rep")
    )
    to_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("to rep")
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    why = models.CharField(_("why"), max_length=300)
    # Estimated change of travel per visit cycle, seconds (negative: the company saves time).
    travel_change_s = models.IntegerField(_("travel change (s)"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=SuggestionState.choices, default=SuggestionState.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TerritorySuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("territory suggestion")
        verbose_name_plural = _("territory suggestions")
        indexes = [models.Index(fields=["status", "period_end"], name="terrsugg_status_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_rep_id} → {self.to_rep_id}"
