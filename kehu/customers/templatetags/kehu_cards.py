"""Template filters for card values (see kehu.customers.forms.presentation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from kehu.customers.forms.presentation import card_value, format_value
from kehu.customers.models import Customer

register = template.Library()


@register.filter
def cardvalue(customer: Customer, name: str) -> str:
    return card_value(customer, name)


@register.filter
def when(value: Any) -> str:
    """YYYY-MM-DD HH:MM in the local time zone."""
    return format_value(None, value)


@register.filter
def day(value: Any) -> str:
    """YYYY-MM-DD in the local time zone."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().isoformat()
    return format_value(None, value)
