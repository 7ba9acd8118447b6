"""Exporting the filtered customer list as CSV: visible rows only, masked where the reader may not
edit, only for roles with the export permission, audited (who, filter, row count). Streams, so the
size of the export does not decide the memory it takes. (Excel workbooks arrive with import/export.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden
from kehu.core.masking import mask_value
from kehu.customers.custom_fields import active_fields, display_value
from kehu.customers.models import Customer, CustomField
from kehu.customers.selectors import SENSITIVE_CUSTOMER_FIELDS, customer_list

FIELDS = [
    "code", "name", "short_name", "kind", "channel_level", "upstream", "status", "tier", "is_key", "industry",
    "credit_code", "phone", "province", "city", "district", "street", "adcode", "address", "lat", "lng",
    "geo_precision", "owner", "org_unit", "credit_rating", "credit_limit", "payment_terms_days", "opens_at",
    "closes_at", "visit_frequency_days", "store_area", "employees", "annual_revenue", "brands_carried",
    "competitor_products", "usual_order_day", "usual_order_size", "preferred_delivery", "payment_habit", "notes",
    "completeness", "last_visited_at", "last_ordered_at", "created_at", "updated_at",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula by Excel."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _value(customer: Customer, name: str, masked: bool) -> Any:
    if name == "upstream":
        return customer.upstream.code if customer.upstream else ""
    if name in ("owner", "org_unit"):
        related = getattr(customer, name)
        return str(related) if related else ""
    value = getattr(customer, name)
    field = Customer._meta.get_field(name)
    if getattr(field, "choices", None) and value not in (None, ""):
        value = dict(field.flatchoices).get(value, value)
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo") and getattr(value, "tzinfo", None):
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if masked and name in SENSITIVE_CUSTOMER_FIELDS:
        value = mask_value(value)
    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    return "" if value is None else str(value)


def _header(custom_fields: list[CustomField]) -> list[str]:
    labels = [str(Customer._meta.get_field(name).verbose_name) for name in FIELDS]
    return labels + [str(Customer._meta.get_field("tags").verbose_name)] + [f.label for f in custom_fields]


def _rows(user: User, rows: Iterable[Customer], custom_fields: list[CustomField]) -> Iterator[list[Any]]:
    for customer in rows:
        masked = not scope.can_see_sensitive(user, customer)
        values = [_value(customer, name, masked) for name in FIELDS]
        values.append(", ".join(tag.name for tag in customer.tags.all()))
        values += [display_value(f, customer.custom.get(f.key)) for f in custom_fields]
        yield [_cell(v) for v in values]


def customer_export_csv(
    *, user: User, params: Any, request: HttpRequest | None = None
) -> tuple[str, Iterator[str]]:
    """(file name, CSV lines) of the visible, filtered list. Refuses without the export permission."""
    if not scope.can_export(user):
        raise Forbidden(_("You may not export customer data."))
    filterset = customer_list(user=user, params=params)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    queryset = filterset.qs.select_related("upstream").order_by("code")
    count = queryset.count()
    filters = {k: params.getlist(k) if hasattr(params, "getlist") else params[k] for k in params if k != "cursor"}
    audit_record(actor=user, action=AuditAction.EXPORT, request=request,
                 detail={"format": "csv", "filters": filters, "rows": count})
    custom_fields = active_fields()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # Excel opens a UTF-8 CSV as UTF-8 only with a byte-order mark
        yield writer.writerow(_header(custom_fields))
        for row in _rows(user, queryset.iterator(chunk_size=CHUNK), custom_fields):
            yield writer.writerow(row)

    return f"customers-{user.get_username()}-{stamp}.csv", lines()
