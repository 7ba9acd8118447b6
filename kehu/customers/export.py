"""Exporting the filtered customer list as CSV or Excel: visible rows only, masked where the reader may not
edit, only for roles with the export permission, audited (who, format, filter, row count). Memory does not
grow with the size of the export: rows are read in chunks, CSV is streamed line by line, and the workbook is
written row by row by xlsxwriter's constant-memory mode into a temporary file that is then streamed back.

Marking. Both files are named after the exporter and the time (`customers-<username>-<YYYYmmdd-HHMMSS>`).
The workbook also carries a first row "Exported by … at …, n rows, filter: …" above its bold, frozen header.
The CSV deliberately does not: its first line must stay the header, because spreadsheet imports ("first row
is header"), csv.DictReader, pandas and our own import wizard all read it from there, and a `# Exported by`
line would become a one-column row 1 that pushes the header down and breaks a round trip. The CSV is
therefore marked by its file name, and in full (who, when, filter, row count) by the audit log.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import urlencode

import xlsxwriter
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden
from kehu.core.masking import mask_value
from kehu.customers.custom_fields import active_fields, display_value
from kehu.customers.models import Customer, CustomField, CustomFieldType
from kehu.customers.selectors import SENSITIVE_CUSTOMER_FIELDS, customer_list

FIELDS = [
    "code", "name", "short_name", "kind", "channel_level", "upstream", "status", "tier", "is_key", "industry",
    "credit_code", "phone", "province", "city", "district", "street", "adcode", "address", "lat", "lng",
    "geo_precision", "owner", "org_unit", "credit_rating", "credit_limit", "payment_terms_days", "opens_at",
    "closes_at", "visit_frequency_days", "store_area", "employees", "annual_revenue", "brands_carried",
    "competitor_products", "usual_order_day", "usual_order_size", "preferred_delivery", "payment_habit", "notes",
    "completeness", "last_visited_at", "last_ordered_at", "created_at", "updated_at",
]
NUMBER_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)
NOT_FILTERS = ("cursor", "format")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
SPOOL_BYTES = 1024 * 1024  # small workbooks stay in memory; larger ones spill to a temporary file
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel"


@dataclass(frozen=True)
class CustomerExport:
    filename: str
    content_type: str
    lines: Iterator[str] | None = None  # CSV, produced while the response is sent
    file: IO[bytes] | None = None  # the finished workbook, positioned at its start


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Cell) -> Cell:
    """Spreadsheet-safe CSV text: a leading = + - @ would be run as a formula by Excel."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _value(customer: Customer, name: str, masked: bool) -> Cell:
    """The cell for one column: numbers stay numbers; choices, booleans, times and relations become text."""
    if name == "upstream":
        return customer.upstream.code if customer.upstream else ""
    if name in ("owner", "org_unit"):
        related = getattr(customer, name)
        return str(related) if related else ""
    value = getattr(customer, name)
    field = Customer._meta.get_field(name)
    if value is None:
        return ""
    if masked and name in SENSITIVE_CUSTOMER_FIELDS:
        return mask_value(value)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(field, NUMBER_FIELDS):
        return value
    return str(value)


def _header(custom_fields: list[CustomField]) -> list[str]:
    labels = [str(Customer._meta.get_field(name).verbose_name) for name in FIELDS]
    return labels + [str(Customer._meta.get_field("tags").verbose_name)] + [f.label for f in custom_fields]


def _rows(user: User, rows: Iterable[Customer], custom_fields: list[CustomField]) -> Iterator[list[Cell]]:
    """The one source of columns and values for every format; masked per row as on screen."""
    for customer in rows:
        masked = not scope.can_see_sensitive(user, customer)
        values = [_value(customer, name, masked) for name in FIELDS]
        values.append(", ".join(tag.name for tag in customer.tags.all()))
        values += [_custom_value(f, customer.custom.get(f.key)) for f in custom_fields]
        yield values


def _custom_value(field: CustomField, value: Any) -> Cell:
    """A number custom field stays a number in the workbook; every other kind is its display text."""
    if field.field_type == CustomFieldType.NUMBER and value not in (None, "") and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            pass  # an old value that is not a number any more: show it as it is
    return display_value(field, value)


def _csv_lines(header: list[str], rows: Iterator[list[Cell]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens a UTF-8 CSV as UTF-8 only with a byte-order mark
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _workbook(marking: str, header: list[str], rows: Iterator[list[Cell]]) -> IO[bytes]:
    """The sheet written row by row (constant memory); text goes through write_string, so nothing is a formula."""
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    book = xlsxwriter.Workbook(output, {"constant_memory": True})
    sheet = book.add_worksheet(_("Customers"))
    sheet.write_string(0, 0, marking)
    bold = book.add_format({"bold": True})
    for col, label in enumerate(header):
        sheet.write_string(1, col, label, bold)
    sheet.freeze_panes(2, 0)
    for row_number, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(row_number, col, value)
            else:
                sheet.write_number(row_number, col, float(value))
    book.close()
    output.seek(0)
    return output


def _marking(user: User, at: datetime, count: int, query: str) -> str:
    return ngettext(
        "Exported by %(name)s (%(username)s) at %(time)s (%(zone)s), %(count)d row, filter: %(filter)s",
        "Exported by %(name)s (%(username)s) at %(time)s (%(zone)s), %(count)d rows, filter: %(filter)s",
        count,
    ) % {
        "name": str(user), "username": user.get_username(), "time": at.strftime("%Y-%m-%d %H:%M"),
        "zone": timezone.get_current_timezone_name(), "count": count, "filter": query or _("none"),
    }


def _export_format(params: Any) -> ExportFormat:
    value = params.get("format") or ExportFormat.CSV
    if value not in ExportFormat.values:
        message = _("Unknown export format “%(value)s”; use csv or xlsx.") % {"value": value}
        raise ValidationError({"format": [message]})
    return ExportFormat(value)


def _filters(params: Any) -> dict[str, Any]:
    return {k: params.getlist(k) if hasattr(params, "getlist") else params[k] for k in params if k not in NOT_FILTERS}


def customer_export(*, user: User, params: Any, request: HttpRequest | None = None) -> CustomerExport:
    """The visible, filtered list as CSV or .xlsx (`params["format"]`). Refuses without the export permission."""
    if not scope.can_export(user):
        raise Forbidden(_("You may not export customer data."))
    export_format = _export_format(params)
    filterset = customer_list(user=user, params=params)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    queryset = filterset.qs.select_related("upstream").order_by("code")
    count = queryset.count()
    filters = _filters(params)
    audit_record(actor=user, action=AuditAction.EXPORT, request=request,
                 detail={"format": export_format.value, "filters": filters, "rows": count})
    custom_fields = active_fields()
    header = _header(custom_fields)
    rows = _rows(user, queryset.iterator(chunk_size=CHUNK), custom_fields)
    now = timezone.localtime()
    filename = f"customers-{user.get_username()}-{now.strftime('%Y%m%d-%H%M%S')}.{export_format.value}"
    if export_format == ExportFormat.XLSX:
        marking = _marking(user, now, count, urlencode(filters, doseq=True))
        return CustomerExport(filename, XLSX_TYPE, file=_workbook(marking, header, rows))
    return CustomerExport(filename, CSV_TYPE, lines=_csv_lines(header, rows))


def export_response(export: CustomerExport) -> HttpResponseBase:
    """The download for web and API alike: CSV streamed as produced, the workbook streamed from its file."""
    if export.file is not None:
        response: HttpResponseBase = FileResponse(
            export.file, as_attachment=True, filename=export.filename, content_type=export.content_type
        )
        response.block_size = 64 * 1024  # type: ignore[attr-defined]
        return response
    response = StreamingHttpResponse(export.lines, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
