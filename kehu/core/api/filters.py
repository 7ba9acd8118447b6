"""The filter backend of the API: an invalid filter value is a 400 with the filter's message.

django-filter already refuses values its form fields reject; yes/no filters, though, read any
unknown word as "no filter", which would silently widen a list, and number filters accept numbers
no database column can hold (SQLite raises OverflowError on them). Both are refused here too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

BOOLEAN_WORDS = frozenset({"", "true", "false", "1", "0"})
LARGEST_NUMBER = Decimal(2**63 - 1)


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = {name: list(messages) for name, messages in filterset.errors.items()}
        for name, field in filterset.filters.items():
            value = request.query_params.get(name)
            is_yes_no = isinstance(field, df.BooleanFilter)
            if is_yes_no and value is not None and value.lower() not in BOOLEAN_WORDS:
                errors.setdefault(name, []).append(_("Enter true or false."))
        if not errors:
            for name, field in filterset.filters.items():
                value = filterset.form.cleaned_data.get(name)
                if isinstance(field, df.NumberFilter) and isinstance(value, Decimal) and _too_big(value):
                    errors[name] = [_("Enter a number between -9223372036854775807 and 9223372036854775807.")]
        if errors:
            raise ValidationError(errors)
        return filterset.qs


def _too_big(value: Decimal) -> bool:
    return not value.is_finite() or abs(value) > LARGEST_NUMBER
