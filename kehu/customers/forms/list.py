"""Fitting the list's shared FilterSet to the person looking: only choices they may see."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.customers.filters import CustomerFilter
from kehu.customers.forms.cards import org_unit_choices, owner_choices

# Filters the list page does not show as inputs (still honoured in the URL).
HIDDEN_FILTERS = {"q", "code", "ordering", "completeness_min", "completeness_max", "upstream"}
CHECKBOX_FILTERS = ("status", "tier", "channel_level")
NUMBER_LIMIT = 10**15


def list_filters_restrict(filterset: CustomerFilter, user: User) -> CustomerFilter:
    """Limit owner/org-unit choices to the user's reach; offer `archived` only to roles that see it.

    Call before the filter's form is first used: the form is built from these filters.
    """
    filterset.filters["owner"].queryset = owner_choices(user)
    filterset.filters["org_unit"].queryset = org_unit_choices(user)
    if user.role not in scope.SEE_ARCHIVED_ROLES:
        del filterset.filters["archived"]
    for flt in filterset.filters.values():
        if isinstance(flt, df.NumberFilter):
            # Numbers beyond what the database compares (SQLite: 64-bit) are invalid input, not a crash.
            flt.extra.setdefault("min_value", -NUMBER_LIMIT)
            flt.extra.setdefault("max_value", NUMBER_LIMIT)
    for name in CHECKBOX_FILTERS:
        filterset.filters[name].extra["widget"] = forms.CheckboxSelectMultiple
    for name, flt in list(filterset.filters.items()):
        if name.startswith("cf_") and name.endswith("_min"):
            flt.label = _("%(field)s from") % {"field": flt.label}
        elif name.startswith("cf_") and name.endswith("_max"):
            flt.label = _("%(field)s to") % {"field": flt.label}
    return filterset


def visible_filter_fields(filterset: CustomerFilter) -> list[forms.BoundField]:
    """The inputs shown in the filter panel, in the FilterSet's order (ranges instead of exact values)."""
    form = filterset.form
    ranged = {name for name in form.fields if f"{name}_min" in form.fields}
    return [form[name] for name in form.fields if name not in HIDDEN_FILTERS and name not in ranged]
