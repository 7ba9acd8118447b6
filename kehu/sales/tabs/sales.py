"""The card's Sales tab: what it shows the asking user.

The tab must stay fast on a card with years of orders (≤ 50 ms, issue 4): the figures come from the
monthly summaries in a fixed handful of queries (`selectors.sales_tab`), and the repeated rows — the
orders with their lines, the 12 months, the products — are built here in one pass with
`format_html` instead of a template loop with a filter per cell (measured: the template loop was
most of the tab's time). Numbers are formatted as `floatformat:"2g"` would for zh-hans and en.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.sales.models import BOOKED, Order, OrderStatus, Settlement
from kehu.sales.selectors.sales_tab import MonthRow, ProductRow, sales_tab


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def quantity(value: Decimal) -> str:
    text = f"{value:,.3f}"
    return text.rstrip("0").rstrip(".")


def change(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"+{value}%" if value > 0 else f"{value}%"


def _cell(label: str, value: str, css: str = "num") -> SafeString:
    return format_html('<td data-label="{}" class="{}">{}</td>', label, css, value)


def order_records_html(orders: Iterable[Order]) -> SafeString:
    """The orders as `<details>` records, each with its lines (prefetched with their products)."""
    labels = {name: _(name) for name in ("Product", "Spec", "Quantity", "Unit price", "Discount", "Amount")}
    statuses = {value: str(label) for value, label in OrderStatus.choices}
    settlements = {value: str(label) for value, label in Settlement.choices}
    detail = reverse("sales:order-detail", args=[0]).removesuffix("0/")
    head = format_html(
        '<thead><tr><th>#</th><th>{}</th><th>{}</th><th class="num">{}</th><th class="num">{}</th>'
        '<th class="num">{}</th><th class="num">{}</th></tr></thead>', *labels.values())
    records = []
    for order in orders:
        lines = format_html_join("", "<tr><td>{}</td>{}{}{}{}{}{}</tr>", (
            (line.line_no,
             format_html('<td data-label="{}"><span class="mono">{}</span> {}</td>', labels["Product"],
                         line.product.sku, line.product.name),
             _cell(labels["Spec"], line.spec or line.product.spec, ""),
             _cell(labels["Quantity"], f"{quantity(line.quantity)} {line.product.unit}"),
             _cell(labels["Unit price"], money(line.unit_price)),
             _cell(labels["Discount"], money(line.discount)),
             _cell(labels["Amount"], money(line.amount)))
            for line in order.lines.all()
        ))
        open_amount = (
            format_html(' <span class="muted num">{}</span>', _("open %(amount)s") % {"amount": money(order.open_amount)})
            if order.status in BOOKED and order.open_amount else ""
        )
        taken = ""
        if order.rep_id:
            note = f" · {order.note}" if order.note else ""
            taken = format_html('<p class="muted">{}{}</p>', _("Taken by %(rep)s") % {"rep": order.rep}, note)
        records.append(format_html(
            '<details class="order-record"><summary><a class="mono" href="{}{}/">{}</a> '
            '<span class="nowrap">{}</span> <span class="badge order-status status-{}">{}</span> '
            '<span class="muted">{}</span> <span class="num order-total">{}</span>{}</summary>'
            '<table class="table order-lines-table">{}<tbody>{}</tbody></table>{}</details>',
            detail, order.pk, order.number, order.order_date.isoformat(), order.status,
            statuses.get(order.status, order.status), settlements.get(order.settlement, order.settlement),
            money(order.total), open_amount, head, lines, taken,
        ))
    return mark_safe("\n".join(records))  # noqa: S308  (each record was escaped by format_html)


def month_rows_html(months: list[MonthRow], this_year: int, last_year: int) -> SafeString:
    month, orders, delta = _("Month"), _("Orders"), _("Year on year")
    cum_this = _("Cumulative %(year)s") % {"year": this_year}
    cum_last = _("Cumulative %(year)s") % {"year": last_year}
    rows = []
    for m in months:
        future = m.cumulative_this_year is None
        rows.append(format_html(
            "<tr{}>{}{}{}{}{}{}{}{}</tr>", mark_safe(' class="muted"') if future else "",
            _cell(month, str(m.month), ""),
            _cell(str(this_year), "" if future else money(m.this_year)),
            _cell(orders, "" if future else str(m.orders_this_year)),
            _cell(str(last_year), money(m.last_year)),
            _cell(orders, str(m.orders_last_year)),
            _cell(delta, change(m.change)),
            _cell(cum_this, money(m.cumulative_this_year)),
            _cell(cum_last, money(m.cumulative_last_year)),
        ))
    return mark_safe("\n".join(rows))  # noqa: S308


def product_rows_html(products: list[ProductRow], last_year: int) -> SafeString:
    sku, product, spec, qty, amount = _("SKU"), _("Product"), _("Spec"), _("Quantity"), _("Amount")
    amount_last = _("Amount %(year)s") % {"year": last_year}
    return format_html_join("\n", "<tr>{}{}{}{}{}{}</tr>", (
        (_cell(sku, p.sku, "mono"), _cell(product, p.name, ""), _cell(spec, p.spec, ""),
         _cell(qty, f"{quantity(p.quantity)} {p.unit}"), _cell(amount, money(p.amount)),
         _cell(amount_last, money(p.last_year_amount)))
        for p in products
    ))


def context(user: Any, customer: Any) -> dict[str, Any]:
    """Latest orders with lines, monthly totals this year vs last, year to date, products this year."""
    tab = sales_tab(user=user, customer=customer)
    return {
        "sales": tab,
        "orders_html": order_records_html(tab["orders_page"].rows),
        "months_html": month_rows_html(tab["months"], tab["this_year"], tab["last_year"]),
        "products_html": product_rows_html(tab["products"], tab["last_year"]),
        "money": {key: money(tab[key]) for key in ("year_total", "last_year_total")}
        | {"ytd_this": money(tab["ytd"].this_year), "ytd_last": money(tab["ytd"].last_year)},
        "can_take_orders": scope.can_take_orders(user, customer),
    }
