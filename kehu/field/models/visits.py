"""Visits (拜访), weekly visit plans and day routes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.accounts.scope import ScopedQuerySet, users_visible_q

money = {"max_digits": 14, "decimal_places": 2}
coord = {"max_digits": 9, "decimal_places": 6, "null": True, "blank": True}


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CHECKED_IN = "checked_in", _("Checked in")
    CHECKED_OUT = "checked_out", _("Checked out")
    DONE = "done", _("Reported")
    CANCELLED = "cancelled", _("Cancelled")


# A visit is "out" (the card not yet handed back) from check-in until its report is in.
UNRETURNED = (VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT)


class VisitReason(models.TextChoices):
    """Why a visit is in the plan, in the order the weekly plan fills the week."""

    DUE = "due", _("Visit due")
    MONEY = "money", _("Overdue money")
    COLLECTION = "collection", _("Planned collection")
    BEHIND_PLAN = "behind_plan", _("Behind plan")
    STALE = "stale", _("Card not updated")
    PROSPECT = "prospect", _("Prospect")
    MANUAL = "manual", _("Added by hand")


class VisitPurpose(models.TextChoices):
    ROUTINE = "routine", _("Routine visit")
    ORDER = "order", _("Take an order")
    COLLECT = "collect", _("Collect money")
    PROMOTION = "promotion", _("Promotion or display")
    SERVICE = "service", _("Service or complaint")
    DEVELOP = "develop", _("Develop a new customer")


class VisitOutcome(models.TextChoices):
    ORDERED = "ordered", _("Order taken")
    COLLECTED = "collected", _("Money collected")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NO_RESULT = "no_result", _("No result")
    CLOSED = "closed", _("Shop closed or contact absent")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class RepScopedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Rows that belong to a rep rather than a customer: seen by whoever may see the rep."""

    def visible_to(self, user: object) -> RepScopedQuerySet:
        q = users_visible_q(user)
        if q is None:
            return self
        return self.filter(rep__in=User.objects.filter(q).values("pk"))


class VisitPlan(models.Model):
    """A rep's plan for one week (Monday `week_start` to Sunday): generated, edited, reviewed."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_plans", verbose_name=_("rep")
    )
    week_start = models.DateField(_("week of"))
    status = models.CharField(_("status"), max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    # What the generator could not fit into the week: [{"customer": id, "reason": ..., "why": ...}].
    unplanned = models.JSONField(_("not planned"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = RepScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-week_start", "rep_id"]
        verbose_name = _("weekly visit plan")
        verbose_name_plural = _("weekly visit plans")
        constraints = [models.UniqueConstraint(fields=["rep", "week_start"], name="visitplan_rep_week_uniq")]

    def __str__(self) -> str:
        return f"{self.rep} {self.week_start:%Y-%m-%d}"


class VisitQuerySet(ScopedQuerySet["Visit"]):
    customer_lookup = "customer"

    def unreturned(self) -> VisitQuerySet:
        return self.filter(status__in=UNRETURNED)

    def open(self) -> VisitQuerySet:
        """Not reported and not cancelled: what moves with the rep's work at a handover."""
        return self.filter(status__in=(VisitStatus.PLANNED, *UNRETURNED))


class Visit(models.Model):
    """One visit of a rep to a customer: planned, checked in and out on site, then reported."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="visits", verbose_name=_("customer")
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("rep")
    )
    plan = models.ForeignKey(
        VisitPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits", verbose_name=_("plan")
    )
    planned_on = models.DateField(_("visit day"))
    sequence = models.PositiveSmallIntegerField(_("stop"), null=True, blank=True)
    planned_arrival = models.TimeField(_("planned arrival"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=VisitReason.choices, default=VisitReason.MANUAL)
    status = models.CharField(_("status"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PLANNED)

    checkin_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checkin_lat = models.DecimalField(_("check-in latitude"), **coord)
    checkin_lng = models.DecimalField(_("check-in longitude"), **coord)
    checkin_accuracy_m = models.PositiveIntegerField(_("check-in accuracy (m)"), null=True, blank=True)
    checkin_distance_m = models.PositiveIntegerField(_("distance at check-in (m)"), null=True, blank=True)
    is_far = models.BooleanField(_("checked in far from the card"), default=False)
    checkout_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checkout_lat = models.DecimalField(_("check-out latitude"), **coord)
    checkout_lng = models.DecimalField(_("check-out longitude"), **coord)
    checkout_distance_m = models.PositiveIntegerField(_("distance at check-out (m)"), null=True, blank=True)

    purpose = models.CharField(_("purpose"), max_length=16, choices=VisitPurpose.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=VisitOutcome.choices, blank=True)
    summary = models.TextField(_("notes"), blank=True)
    orders_taken = models.DecimalField(_("orders taken (yuan)"), default=0, **money)
    money_collected = models.DecimalField(_("money collected (yuan)"), default=0, **money)
    next_steps = models.TextField(_("next steps"), blank=True)
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["planned_on", "sequence", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["rep", "planned_on"], name="visit_rep_day_idx"),
            models.Index(fields=["customer", "planned_on"], name="visit_customer_day_idx"),
            models.Index(
                fields=["rep", "status"], name="visit_rep_open_idx",
                condition=Q(status__in=["planned", "checked_in", "checked_out"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.planned_on:%Y-%m-%d} ({self.status})"

    @property
    def is_unreturned(self) -> bool:
        return self.status in UNRETURNED


class DayRoute(models.Model):
    """The optimised order of a rep's visits on one day; the stops' order lives on the visits."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_routes", verbose_name=_("rep")
    )
    day = models.DateField(_("day"))
    start_lat = models.DecimalField(_("start latitude"), **coord)
    start_lng = models.DecimalField(_("start longitude"), **coord)
    travel_seconds = models.PositiveIntegerField(_("travel time (s)"), default=0)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    service_seconds = models.PositiveIntegerField(_("time at customers (s)"), default=0)
    # Visits that could not fit the day: [{"visit": id, "why": text}]. Never dropped silently.
    unserved = models.JSONField(_("did not fit"), default=list, blank=True)
    source = models.CharField(_("travel times from"), max_length=16, default="haversine")
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    objects = RepScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "rep_id"]
        verbose_name = _("day route")
        verbose_name_plural = _("day routes")
        constraints = [models.UniqueConstraint(fields=["rep", "day"], name="dayroute_rep_day_uniq")]

    def __str__(self) -> str:
        return f"{self.rep} {self.day:%Y-%m-%d}"
