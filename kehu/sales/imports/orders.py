"""Importing orders from an ERP export (.xlsx/.xls/.csv): one row per order line.

Rows are grouped into orders by the order number (the ERP's, kept as `external_ref`). Everything is
checked before anything is written and every problem is reported with its row, column, value and
message: unknown or hidden customer codes (resolved only among the cards the importer can see and
may take orders for), unknown SKUs, order-level values that differ between rows of one order, and
order numbers already imported. Then all orders are written in ONE transaction through the order
services — `order_create`, and `order_confirm` for rows wanting "confirmed", so the credit check
applies exactly as on the web (a held order is a result, not an error). A service refusal becomes a
row error and rolls everything back: nothing is half-imported. A dry run does all of it, credit check
included, and rolls back at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import scope
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.imports.convert import CellError, cell_string, fold
from kehu.customers.models import Customer
from kehu.sales.imports.common import Column, RowError, RowsFailed, as_date, as_decimal, as_text, read_sheet, write_template
from kehu.sales.models import Order, OrderSource, OrderStatus, Product, Settlement
from kehu.sales.services.orders import LineInput, order_confirm, order_create

MAX_ROWS = 5000

SETTLEMENT_WORDS = {
    Settlement.CASH: ("cash", "现结", "现金", "货到付款", "现款", "cash on delivery", "cod"),
    Settlement.PREPAID: ("prepaid", "预付", "预付款", "先款后货"),
    Settlement.CREDIT: ("credit", "赊销", "账期", "月结", "挂账", "on credit terms", "on credit"),
}
STATUS_WORDS = {
    OrderStatus.DRAFT: ("draft", "草稿", "未审核", "待审核", "未确认"),
    OrderStatus.CONFIRMED: ("confirmed", "confirm", "确认", "已确认", "已审核", "审核"),
}


def _choice(words: dict[str, tuple[str, ...]], what: str) -> Any:
    table = {fold(w): value for value, synonyms in words.items() for w in synonyms}

    def convert(raw: Any) -> str:
        value = table.get(fold(cell_string(raw)))
        if value is None:
            shown = ", ".join(f"{synonyms[1]} ({value})" for value, synonyms in words.items())
            raise CellError(_("'%(value)s' is not a %(what)s; write one of: %(shown)s.")
                            % {"value": cell_string(raw), "what": what, "shown": shown})
        return str(value)

    return convert


def _quantity(raw: Any) -> Decimal:
    value = as_decimal(places=3)(raw)
    if value <= 0:
        raise CellError(_("'%(value)s' must be more than zero.") % {"value": cell_string(raw)})
    return value


COLUMNS = (
    Column("ref", ("订单号", "Order number", "单据编号", "单号", "ERP单号", "external ref", "external_ref", "order no"),
           required=True, convert=as_text(64), example="ERP-2024-0001",
           help=gettext_lazy("The ERP's order number. Rows with the same number are one order; it cannot be imported twice.")),
    Column("customer", ("客户编码", "Customer code", "客户代码", "客户编号", "customer"), required=True,
           convert=as_text(32), example="C00001",
           help=gettext_lazy("The customer card's code, among the cards you can see and may take orders for.")),
    Column("date", ("日期", "Date", "订单日期", "单据日期", "order date"), convert=as_date, example="2024-03-15",
           help=gettext_lazy("The order date, YYYY-MM-DD; empty: today.")),
    Column("sku", ("商品编码", "SKU", "产品编码", "存货编码", "product sku", "product"), required=True, convert=as_text(40),
           example="P001", help=gettext_lazy("The product's SKU in the catalogue.")),
    Column("quantity", ("数量", "Quantity", "qty"), required=True, convert=_quantity, example=10,
           help=gettext_lazy("More than zero, at most 3 decimal places.")),
    Column("unit_price", ("单价", "Unit price", "价格", "price"), convert=as_decimal(places=2), example=12.5,
           help=gettext_lazy("In yuan; empty: the customer's price list.")),
    Column("discount", ("折扣", "Discount", "折扣额", "优惠"), convert=as_decimal(places=2), example=0,
           help=gettext_lazy("An amount in yuan taken off the line; empty: none.")),
    Column("spec", ("规格", "Spec", "规格型号"), convert=as_text(100),
           help=gettext_lazy("Empty: the product's spec.")),
    Column("settlement", ("结算方式", "Settlement", "付款方式"),
           convert=_choice(SETTLEMENT_WORDS, gettext_lazy("settlement")), example="赊销",
           help=gettext_lazy("现结/cash, 预付/prepaid or 赊销/credit; empty: the customer's habit.")),
    Column("status", ("状态", "Status", "订单状态"), convert=_choice(STATUS_WORDS, gettext_lazy("status")),
           example="confirmed",
           help=gettext_lazy("草稿/draft or 确认/confirmed. Confirmed orders go through the credit check and may be held.")),
    Column("note", ("备注", "Note", "说明"), convert=as_text(300), help=gettext_lazy("Free text.")),
)
ORDER_LEVEL = ("customer", "date", "settlement", "status", "note")


@dataclass(frozen=True)
class ImportedOrder:
    ref: str
    number: str
    customer_code: str
    customer_name: str
    status: str
    total: Decimal
    lines: int
    first_row: int
    order_id: int | None  # None after a dry run (rolled back)

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "number": self.number, "customer": self.customer_code, "status": self.status,
                "total": str(self.total), "lines": self.lines, "row": self.first_row, "id": self.order_id}


@dataclass
class OrderImportResult:
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    orders: list[ImportedOrder] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def held(self) -> list[ImportedOrder]:
        return [o for o in self.orders if o.status == OrderStatus.HELD]

    @property
    def confirmed(self) -> list[ImportedOrder]:
        return [o for o in self.orders if o.status == OrderStatus.CONFIRMED]

    @property
    def drafts(self) -> list[ImportedOrder]:
        return [o for o in self.orders if o.status == OrderStatus.DRAFT]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "ok": self.ok, "rows": self.rows,
            "orders": [o.as_dict() for o in self.orders],
            "held": [o.ref for o in self.held],
            "counts": {"orders": len(self.orders), "confirmed": len(self.confirmed), "held": len(self.held),
                       "drafts": len(self.drafts)},
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass
class _Group:
    ref: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def can_import_orders(user: Any) -> bool:
    """Reaching the order import at all: whoever may take orders for some customer (the per-customer
    rule, `scope.can_take_orders`, is applied to every customer in the file)."""
    return bool(getattr(user, "is_active", False)) and getattr(user, "role", None) in scope.SELL_ROLES


def _label(key: str) -> str:
    return next(c.label() for c in COLUMNS if c.key == key)


def _group(rows: list[tuple[int, dict[str, Any]]], errors: list[RowError]) -> list[_Group]:
    """Rows → orders by number, in first-seen order; order-level values must agree within an order."""
    groups: dict[str, _Group] = {}
    for number, values in rows:
        ref = values.get("ref")
        if not ref:
            continue  # already a required-column error
        group = groups.setdefault(fold(ref), _Group(ref))
        if group.rows:
            first_row, first = group.rows[0]
            for key in ORDER_LEVEL:
                if key in values and values.get(key) != first.get(key) and values.get(key) is not None:
                    errors.append(RowError(number, _label(key), cell_string(values[key]), _(
                        "Row %(row)d has a different value for the same order %(ref)s; every row of one order "
                        "must agree.") % {"row": first_row, "ref": ref}))
        group.rows.append((number, values))
    return list(groups.values())


def _customers(user: Any, groups: list[_Group], errors: list[RowError]) -> dict[str, Customer]:
    """Customer codes → visible cards the user may take orders for (one query)."""
    codes = {g.rows[0][1]["customer"] for g in groups if g.rows[0][1].get("customer")}
    found = {
        c.code.casefold(): c
        for c in Customer.objects.visible_to(user).select_related("org_unit").filter(code__in=codes)
    }
    allowed: dict[str, Customer] = {}
    for group in groups:
        number, values = group.rows[0]
        code = values.get("customer")
        if not code:
            continue
        customer = found.get(code.casefold())
        if customer is None:
            errors.append(RowError(number, _label("customer"), code,
                                   _("No customer with this code among the cards you can see.")))
        elif not scope.can_take_orders(user, customer):
            errors.append(RowError(number, _label("customer"), code,
                                   _("You may not take orders for this customer.")))
        else:
            allowed[code.casefold()] = customer
    return allowed


def _products(rows: list[tuple[int, dict[str, Any]]], errors: list[RowError]) -> dict[str, Product]:
    skus = {v["sku"] for _n, v in rows if v.get("sku")}
    found = {p.sku.casefold(): p for p in Product.objects.filter(sku__in=skus)}
    missing = {s.casefold() for s in skus} - set(found)
    if missing and len(missing) <= 200:  # a case-insensitive second look for the few not found as typed
        for product in Product.objects.filter(sku__iregex=r"^(" + "|".join(re.escape(s) for s in missing) + r")$"):
            found.setdefault(product.sku.casefold(), product)
    for number, values in rows:
        sku = values.get("sku")
        if not sku:
            continue
        product = found.get(sku.casefold())
        if product is None:
            errors.append(RowError(number, _label("sku"), sku, _("No product with this SKU.")))
        elif not product.is_active:
            errors.append(RowError(number, _label("sku"), sku, _("This product is no longer sold.")))
    return found


def _already_imported(groups: list[_Group], errors: list[RowError]) -> None:
    refs = [g.ref for g in groups]
    taken = set(Order.objects.filter(external_ref__in=refs).values_list("external_ref", flat=True))
    for group in groups:
        if group.ref in taken:
            errors.append(RowError(group.rows[0][0], _label("ref"), group.ref,
                                   _("An order with this number was already imported; it is not imported twice.")))


def _lock_refs(groups: list[_Group], errors: list[RowError]) -> bool:
    """Inside the write transaction: serialise imports of the same order numbers and look again for
    numbers imported meanwhile (True: some were). PostgreSQL takes a transaction advisory lock per
    number; SQLite has one writer at a time, and the look is repeated inside the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for ref in sorted({fold(g.ref) for g in groups}):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sales.order-import:{ref}"])
    before = len(errors)
    _already_imported(groups, errors)
    return len(errors) > before


def _service_errors(group: _Group, exc: ValidationError) -> list[RowError]:
    """A service refusal as row errors: "Line N: …" messages go to the order's N-th row."""
    first_row = group.rows[0][0]
    found: list[RowError] = []
    for key, messages in (exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]):
        for message in messages:
            row, column = first_row, _label("ref")
            for n, (number, _values) in enumerate(group.rows, start=1):
                if message.startswith(_("Line %(n)s") % {"n": n} + ":"):
                    row, column = number, _label("sku")
                    break
            else:
                column = {"order_date": _label("date"), "settlement": _label("settlement"), "note": _label("note"),
                          "status": _label("status")}.get(key, column)
            found.append(RowError(row, column, group.ref if column == _label("ref") else "", message))
    return found


def _write(user: Any, groups: list[_Group], customers: dict[str, Customer], products: dict[str, Product],
           result: OrderImportResult) -> None:
    """Every order through the services, each in a savepoint so all refusals are collected."""
    for group in groups:
        number, head = group.rows[0]
        customer = customers[head["customer"].casefold()]
        lines = [
            LineInput(product_id=products[v["sku"].casefold()].pk, quantity=v["quantity"], unit_price=v.get("unit_price"),
                      discount=v.get("discount") or Decimal(0), spec=v.get("spec"))
            for _n, v in group.rows
        ]
        try:
            with transaction.atomic():
                order = order_create(
                    actor=user, customer=customer, lines=lines, order_date=head.get("date"),
                    settlement=head.get("settlement"), note=head.get("note") or "", source=OrderSource.IMPORT,
                    external_ref=group.ref,
                )
                if head.get("status") == OrderStatus.CONFIRMED:
                    order = order_confirm(actor=user, order=order)
        except ValidationError as exc:
            result.errors.extend(_service_errors(group, exc))
            continue
        except (Forbidden, NotFound):
            result.errors.append(RowError(number, _label("customer"), head["customer"],
                                          _("You may not take orders for this customer.")))
            continue
        result.orders.append(ImportedOrder(
            group.ref, order.number, customer.code, customer.name, order.status, order.total, len(lines), number,
            None if result.dry_run else order.pk,
        ))


def order_import(*, actor: Any, source: Any, dry_run: bool = False, today: date | None = None) -> OrderImportResult:
    """Check (dry run) or import the orders in `source` (a path, an upload or a binary file)."""
    result = OrderImportResult(dry_run=dry_run)
    if not can_import_orders(actor):
        raise Forbidden(_("You may not import orders."))
    sheet = read_sheet(source, COLUMNS, max_rows=MAX_ROWS)
    result.rows = len(sheet.rows)
    result.errors.extend(sheet.errors)
    if any(e.row <= 1 for e in sheet.errors):
        return result  # the file or its header is unusable: the rows mean nothing yet
    groups = _group(sheet.rows, result.errors)
    complete = [(n, v) for n, v in sheet.rows if v.get("ref")]
    customers = _customers(actor, groups, result.errors)
    products = _products(complete, result.errors)
    _already_imported(groups, result.errors)
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    try:
        with transaction.atomic():
            if _lock_refs(groups, result.errors):
                raise RowsFailed(result.errors)
            _write(actor, groups, customers, products, result)
            if result.errors or dry_run:
                raise RowsFailed(result.errors)
    except RowsFailed:
        if result.errors:
            result.orders = []
    result.errors.sort(key=lambda e: e.row)
    return result


def order_import_template(lang: str) -> bytes:
    return write_template(COLUMNS, lang)
