"""Importing monthly plan lines from .xlsx/.csv: customer code, month, SKU, quantity, amount, schedule.

Rows of one customer and month make one plan; the file's lines replace that plan's lines (its
support items and note stay). Only draft or returned plans can be replaced: a submitted or
approved plan is a row error ("reopen it first"). Every problem is reported by row and column and
nothing is written unless the whole file is good (the writes run through `plan_save` in one
transaction; any refusal there rolls everything back).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.imports.convert import cell_string
from kehu.customers.models import Customer
from kehu.sales.imports.common import (
    CellError,
    Column,
    RowError,
    RowsFailed,
    as_decimal,
    as_text,
    read_sheet,
    write_template,
)
from kehu.sales.models import Product, SalesPlan
from kehu.sales.services.plans import plan_save

MAX_ROWS = 5000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Rows = list[tuple[int, dict[str, Any]]]
Groups = dict[tuple[int, datetime.date], Rows]
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]\s*\d{1,2}\s*日?)?$")


def as_month(raw: Any) -> datetime.date:
    """2026-11, 2026/11, 2026年11月, 202611, or any date in the month (an Excel date cell too)."""
    if isinstance(raw, datetime.datetime):
        return raw.date().replace(day=1)
    if isinstance(raw, datetime.date):
        return raw.replace(day=1)
    text = cell_string(raw).split(" ")[0].split("T")[0]
    found = _MONTH.match(text)
    year, month = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if not found and re.fullmatch(r"\d{6}", text):
        year, month = int(text[:4]), int(text[4:])
    if 2000 <= year <= 2100 and 1 <= month <= 12:
        return datetime.date(year, month, 1)
    raise CellError(_("'%(value)s' is not a month; write it as YYYY-MM, e.g. 2026-11.") % {"value": text})


COLUMNS = (
    Column("customer", ("客户编码", "Customer code", "客户代码", "customer"), required=True, convert=as_text(32),
           help=gettext_lazy("The customer's code, as on the card."), example="KH0000001"),
    Column("month", ("月份", "Month", "计划月份"), required=True, convert=as_month,
           help=gettext_lazy("The plan's month: YYYY-MM."), example="2026-11"),
    Column("sku", ("商品编码", "SKU", "编码", "产品编码"), required=True, convert=as_text(40),
           help=gettext_lazy("The product's SKU."), example="B-500"),
    Column("quantity", ("数量", "Quantity", "计划数量"), required=True, convert=as_decimal(places=3),
           help=gettext_lazy("Planned quantity, in the product's unit."), example=30),
    Column("amount", ("金额", "Amount", "目标金额", "计划金额"), required=True, convert=as_decimal(places=2),
           help=gettext_lazy("Amount target in yuan."), example=3000),
    Column("schedule", ("进度安排", "Schedule", "安排"), convert=as_text(100),
           help=gettext_lazy("When, e.g. 上旬 20 箱，下旬 10 箱."), example="上旬 20 箱"),
)


@dataclass
class PlanImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    rows: int = 0
    plan_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_import_template(lang: str) -> bytes:
    return write_template(COLUMNS, lang)


def _lookups(user: User, rows: list[tuple[int, dict[str, Any]]]) -> tuple[dict[str, Customer], dict[str, Product]]:
    codes = {values["customer"] for _n, values in rows if values.get("customer")}
    skus = {values["sku"] for _n, values in rows if values.get("sku")}
    customers = {c.code: c for c in Customer.objects.visible_to(user).select_related("org_unit").filter(code__in=codes)}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}
    return customers, products


def _check_rows(user: User, rows: Rows) -> tuple[Groups, list[RowError]]:
    customers, products = _lookups(user, rows)
    label = {c.key: c.label() for c in COLUMNS}
    errors: list[RowError] = []
    groups: Groups = {}
    seen: dict[tuple[int, datetime.date, int], int] = {}
    for number, values in rows:
        customer, product = customers.get(values["customer"]), products.get(values["sku"])
        if customer is None:
            errors.append(RowError(number, label["customer"], values["customer"],
                                   _("No customer with this code among the cards you can see.")))
        elif not scope.can_edit_plan(user, customer):
            errors.append(RowError(number, label["customer"], values["customer"], _("You may not plan for this customer.")))
            customer = None
        if product is None:
            errors.append(RowError(number, label["sku"], values["sku"], _("No active product with this SKU.")))
        if customer is None or product is None:
            continue
        key = (customer.pk, values["month"], product.pk)
        if key in seen:
            errors.append(RowError(number, label["sku"], values["sku"],
                                   _("This product is already planned for this customer and month in row %(row)d.")
                                   % {"row": seen[key]}))
            continue
        seen[key] = number
        groups.setdefault((customer.pk, values["month"]), []).append((number, {**values, "product": product}))
    return groups, errors


def _locked_errors(groups: Groups) -> tuple[dict[tuple[int, datetime.date], SalesPlan], list[RowError]]:
    customer_ids = {c for c, _m in groups}
    months = {m for _c, m in groups}
    existing = {
        (p.customer_id, p.month): p
        for p in SalesPlan.objects.filter(customer_id__in=customer_ids, month__in=months).prefetch_related("supports")
        if (p.customer_id, p.month) in groups
    }
    errors = []
    column = COLUMNS[1].label()
    for key, plan in existing.items():
        if plan.is_locked:
            for number, values in groups[key]:
                errors.append(RowError(number, column, f"{values['month']:%Y-%m}", _(
                    "This customer's plan for the month is %(status)s; reopen it before importing changes.")
                    % {"status": plan.get_status_display()}))
    return existing, errors


def plans_import(*, actor: User, source: Any, dry_run: bool = False, request: Any = None) -> PlanImportResult:
    """Read, check and (unless `dry_run` or anything is wrong) write the file's plans, all or nothing."""
    sheet = read_sheet(source, COLUMNS, max_rows=MAX_ROWS)
    result = PlanImportResult(rows=len(sheet.rows))
    if any(e.row <= 1 for e in sheet.errors):  # the file or its header: nothing else is worth checking
        result.errors = list(sheet.errors)
        return result
    # Rows whose cells all converted are checked against the database too, so one pass reports everything.
    complete = [(n, v) for n, v in sheet.rows if all(v.get(c.key) is not None for c in COLUMNS if c.required)]
    groups, problems = _check_rows(actor, complete)
    existing, locked = _locked_errors(groups)
    result.errors = sorted([*sheet.errors, *problems, *locked], key=lambda e: (e.row, e.column))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for (customer_id, month), rows in groups.items():
                _write_group(actor, customer_id, month, rows, existing.get((customer_id, month)), result, request)
            audit_record(actor=actor, action=AuditAction.IMPORT, request=request, detail={
                "what": "sales plans", "rows": result.rows, "created": result.created, "updated": result.updated})
            if dry_run:
                raise RowsFailed([])
    except RowsFailed as failed:
        result.errors = failed.errors
        if dry_run and not failed.errors:
            result.plan_ids = []
    return result


def _write_group(actor: User, customer_id: int, month: datetime.date, rows: list[tuple[int, dict[str, Any]]],
                 plan: SalesPlan | None, result: PlanImportResult, request: Any) -> None:
    first_row = rows[0][0]
    lines = [(v["product"].pk, v["quantity"], v["amount"], v.get("schedule") or "") for _n, v in rows]
    supports = [(s.kind, s.description, s.cost) for s in plan.supports.all()] if plan else []
    try:
        saved = plan_save(actor=actor, customer=customer_id, month=month, lines=lines, supports=supports,
                          note=plan.note if plan else "", version=plan.version if plan else None, request=request)
    except ValidationError as exc:
        raise RowsFailed([RowError(first_row, "", "", " ".join(exc.messages))]) from None
    except (Forbidden, NotFound, VersionConflict) as exc:
        message = getattr(exc, "message", "") or _("This plan changed or cannot be written; nothing was imported.")
        raise RowsFailed([RowError(first_row, "", "", message)]) from None
    if plan is None:
        result.created += 1
    else:
        result.updated += 1
    result.plan_ids.append(saved.pk)


__all__ = ["COLUMNS", "XLSX_TYPE", "PlanImportResult", "plan_import_template", "plans_import"]
