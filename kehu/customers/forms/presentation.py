"""Card values the way people read them: labels for choices, dates as YYYY-MM-DD, money in yuan.

The profile tab, the print page, the conflict notice and the template filters all use these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.customers.custom_fields import display_value
from kehu.customers.models import Customer, CustomField

# The card's fields in the order people read them; the profile tab and the form share it.
CARD_SECTIONS: list[tuple[Any, list[str]]] = [
    (
        gettext_lazy("Basic"),
        [
            "code",
            "name",
            "short_name",
            "kind",
            "industry",
            "phone",
            "status",
            "tier",
            "is_key",
            "owner",
            "org_unit",
        ],
    ),
    (gettext_lazy("Channel"), ["channel_level", "upstream"]),
    (
        gettext_lazy("Address and position"),
        ["province", "city", "district", "street", "address", "adcode", "lat", "lng", "geo_precision"],
    ),
    (gettext_lazy("Credit"), ["credit_code", "credit_rating", "credit_limit", "payment_terms_days"]),
    (gettext_lazy("Visiting"), ["opens_at", "closes_at", "visit_frequency_days"]),
    (
        gettext_lazy("Business profile"),
        ["store_area", "employees", "annual_revenue", "brands_carried", "competitor_products"],
    ),
    (
        gettext_lazy("Trading habits"),
        ["usual_order_day", "usual_order_size", "preferred_delivery", "payment_habit"],
    ),
    (gettext_lazy("Notes"), ["notes"]),
]
# Names used by completeness.missing_items that are not single model fields.
CHECK_LABELS = {
    "position": gettext_lazy("position (latitude and longitude)"),
    "opening_hours": gettext_lazy("opening hours"),
    "contact": gettext_lazy("a contact"),
    "contact_mobile": gettext_lazy("a contact's mobile"),
}


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    value: str
    url: str = ""


@dataclass(frozen=True)
class Difference:
    label: str
    saved: str
    theirs: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def format_value(field: models.Field | None, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, models.Model):
        return str(value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else (value.strftime("%Y-%m-%d %H:%M"))
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField) and field.decimal_places == 2:
        return f"{value:,.2f}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def card_value(customer: Customer, name: str) -> str:
    field = Customer._meta.get_field(name)
    return format_value(field, getattr(customer, name))


def field_label(name: str) -> str:
    if name in CHECK_LABELS:
        return str(CHECK_LABELS[name])
    return str(Customer._meta.get_field(name).verbose_name)


def profile_sections(
    customer: Customer, custom_fields: list[CustomField], upstream_url: str = ""
) -> list[Section]:
    """Every card field, grouped as on the form; custom fields before the notes."""
    sections = []
    for title, names in CARD_SECTIONS:
        rows = [
            Row(n, field_label(n), card_value(customer, n), upstream_url if n == "upstream" else "")
            for n in names
        ]
        sections.append(Section(str(title), rows))
    custom = [
        Row(f"cf_{f.key}", f.label, display_value(f, customer.custom.get(f.key))) for f in custom_fields
    ]
    if custom:
        sections.insert(-1, Section(_("Custom fields"), custom))
    record = ["last_visited_at", "last_ordered_at", "completeness", "created_at", "updated_at", "archived_at"]
    rows = [Row(n, field_label(n), card_value(customer, n)) for n in record]
    rows[2] = Row("completeness", rows[2].label, f"{customer.completeness}%")
    sections.append(Section(_("Record"), rows))
    return sections


def missing_labels(items: list[str], customer: Customer, custom_fields: list[CustomField]) -> list[str]:
    labels = [field_label(name) for name in items]
    labels += [f.label for f in custom_fields if customer.custom.get(f.key) in (None, "", [], {})]
    return labels
