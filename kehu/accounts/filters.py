"""Filters over the audit log: one FilterSet for the audit page and the API."""

from __future__ import annotations

import datetime

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.api.fields import IdFilter

Events = QuerySet[AuditEvent]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 2), datetime.date(9999, 12, 30)


class AuditEventFilter(df.FilterSet):
    user = df.CharFilter(field_name="username", lookup_expr="iexact", label=_("User"))
    actor = IdFilter(field_name="actor_id", label=_("User id"))
    action = df.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    object_type = df.CharFilter(label=_("Object type"))
    object_id = IdFilter(label=_("Object id"))
    since = df.DateFilter(method="filter_since", label=_("From"), widget=DATE_WIDGET)
    until = df.DateFilter(method="filter_until", label=_("To"), widget=DATE_WIDGET)
    q = df.CharFilter(method="filter_q", label=_("Search"))

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_since(self, queryset: Events, name: str, value: datetime.date) -> Events:
        return queryset.filter(at__gte=_day_start(value))

    def filter_until(self, queryset: Events, name: str, value: datetime.date) -> Events:
        # The day after 9999-12-31 does not exist; that far out, "until" means no limit.
        if value >= LAST_DAY:
            return queryset
        return queryset.filter(at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_q(self, queryset: Events, name: str, value: str) -> Events:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(username__icontains=text) | Q(object_repr__icontains=text))


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the business time zone (Asia/Shanghai), so dates mean local days."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
