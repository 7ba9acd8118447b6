"""Reads of progress against the monthly plans, for the asking user.

Progress compares plans with the monthly summaries (`CustomerMonth` for customers, reps, org units
and months; `SalesMonth` for products and plan lines), never with order lines. Each report is one
SQL statement: the period's plan rows and summary rows (UNION ALL) joined once to the customers the
user may see (`Customer.objects.visible_to(user)`, narrowed to the org unit), grouped by the key;
the page, the group count, the behind-plan count and the totals all come out of the same statement
(window functions). A region's month costs two index range scans on the month and one scan of the
region's customers, whatever the number of order lines.

"Behind plan": actual < what the plan expects by today. For a month that is plan × the share of
the month elapsed (the 15th of a 30-day month: 50 %); for a year to date it is the plan of the
months already over plus the current month's plan × its elapsed share.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, DecimalField, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import OrgUnit, User
from kehu.accounts.scope import SEE_ALL_ROLES
from kehu.customers.models import Customer
from kehu.sales.models import CustomerMonth, PlanLine, PlanStatus, Product, SalesMonth, SalesPlan

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
GROUPS = {
    "customer": gettext_lazy("Customer"),
    "rep": gettext_lazy("Rep"),
    "org_unit": gettext_lazy("Org unit"),
    "product": gettext_lazy("Product"),
    "line": gettext_lazy("Customer × product"),
    "month": gettext_lazy("Month"),
}
PAGED = ("customer", "rep", "product", "line")
MONEY_FIELD = DecimalField(max_digits=20, decimal_places=3)


# --- the period and its elapsed share ---------------------------------------------------------

def month_days(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def elapsed_days(first: date, last: date, today: date) -> tuple[int, int]:
    """(days of the months first..last elapsed by the end of `today`, days in those months)."""
    end = last.replace(day=month_days(last))
    total = (end - first).days + 1
    if today < first:
        return 0, total
    return min((today - first).days + 1, total), total


def share_percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class ProgressRow:
    key: Any
    label: str
    detail: str = ""
    planned_quantity: Decimal | None = ZERO
    planned_amount: Decimal = ZERO
    expected_amount: Decimal = ZERO
    actual_quantity: Decimal | None = None
    actual_amount: Decimal = ZERO
    is_behind: bool = False
    cumulative_planned: Decimal | None = None
    cumulative_actual: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def attainment(self) -> Decimal | None:
        """Actual as a percentage of the planned amount (None without a plan)."""
        return share_percent(self.actual_amount, self.planned_amount)

    @property
    def quantity_attainment(self) -> Decimal | None:
        if self.actual_quantity is None or not self.planned_quantity:
            return None
        return share_percent(self.actual_quantity, self.planned_quantity)

    @property
    def gap(self) -> Decimal:
        """How far actual is from what the plan expects by now (negative: behind)."""
        return self.actual_amount - self.expected_amount


@dataclass
class ProgressReport:
    group_by: str
    first_month: date
    last_month: date
    today: date
    elapsed: int
    days: int
    rows: list[ProgressRow]
    totals: ProgressRow
    count: int
    behind_count: int
    org_unit: OrgUnit | None = None
    offset: int = 0
    limit: int | None = None

    @property
    def elapsed_share(self) -> Decimal | None:
        """The share of the period elapsed, in per cent (15th of a 30-day month → 50.0)."""
        return share_percent(self.elapsed, self.days)

    @property
    def is_cumulative(self) -> bool:
        return self.first_month != self.last_month


# --- progress ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Shape:
    """Where a report's rows come from: plan rows and actual rows, each with its customer id."""

    plan_model: Any
    plan_quantity: str
    plan_amount: str
    plan_month: str
    plan_customer: str
    actual_model: Any
    actual_quantity: str
    actual_amount: str
    row_key: str | None  # a second key taken from the rows ("product", "month"), besides the customer's
    by_quantity: bool  # quantities add up only product by product


def _shape(group_by: str) -> _Shape:
    row_key = {"product": "product", "line": "product", "month": "month"}.get(group_by)
    if group_by in ("product", "line"):
        return _Shape(PlanLine, "quantity", "amount", "plan__month", "plan__customer_id",
                      SalesMonth, "quantity", "amount", row_key, True)
    return _Shape(SalesPlan, "total_quantity", "total_amount", "month", "customer_id",
                  CustomerMonth, "quantity", "sales", row_key, False)


# The report's key over the joined rows `u` (plans and actuals) and visible customers `c`.
_KEYS = {
    "customer": ("u.cid", "NULL"), "rep": ("c.owner_id", "NULL"), "org_unit": ("c.org_unit_id", "NULL"),
    "product": ("u.kx", "NULL"), "line": ("u.cid", "u.kx"), "month": ("u.kx", "NULL"),
}
_NONE = "CAST(NULL AS NUMERIC)"


def _customers_sql(user: Any, units: list[int] | None, rep_id: int | None, customer_id: int | None) -> tuple[str, list[Any]]:
    """The customers the report covers, straight from the access policy (and the report's filters)."""
    customers = Customer.objects.visible_to(user)
    if units is not None:
        customers = customers.filter(org_unit_id__in=units)
    if rep_id is not None:
        customers = customers.filter(owner_id=rep_id)
    if customer_id is not None:
        customers = customers.filter(pk=customer_id)
    return customers.order_by().values("id", "owner_id", "org_unit_id").query.sql_with_params()


def _sides_sql(
    user: Any, group_by: str, first: date, last: date, pivot: date, scope: dict[str, Any], approved_only: bool = False,
) -> tuple[str, list[Any]]:
    """Plan rows and actual rows of the period (UNION ALL), joined once to the visible customers, grouped by the key.

    Visibility comes from the one join with `Customer.objects.visible_to(user)`: a plan or summary row
    counts only when its customer is in that set, so a region's month reads each customer row once.
    """
    shape = _shape(group_by)
    zero = Value(Decimal(0), output_field=MONEY_FIELD)
    cumulative = first != last
    plan_cols: dict[str, Any] = {"cid": F(shape.plan_customer), "pa": F(shape.plan_amount)}
    actual_cols: dict[str, Any] = {"cid": F("customer_id"), "aa": F(shape.actual_amount)}
    if shape.row_key:
        plan_cols["kx"] = F(shape.plan_month if shape.row_key == "month" else "product_id")
        actual_cols["kx"] = F("month" if shape.row_key == "month" else "product_id")
    if shape.by_quantity:
        plan_cols["pq"], actual_cols["aq"] = F(shape.plan_quantity), F(shape.actual_quantity)
    if cumulative:
        plan_cols["pp"] = Case(When(**{f"{shape.plan_month}__lt": pivot}, then=F(shape.plan_amount)), default=zero)
        plan_cols["pc"] = Case(When(**{shape.plan_month: pivot}, then=F(shape.plan_amount)), default=zero)
    month_range = {"__gte": first, "__lte": last}
    plans = shape.plan_model.objects.filter(**{f"{shape.plan_month}{op}": v for op, v in month_range.items()})
    if approved_only:
        plans = plans.filter(**{"plan__status" if shape.by_quantity else "status": PlanStatus.APPROVED})
    actuals = shape.actual_model.objects.filter(**{f"month{op}": v for op, v in month_range.items()})
    plan_sql, plan_params = plans.order_by().values(**plan_cols).query.sql_with_params()
    actual_sql, actual_params = actuals.order_by().values(**actual_cols).query.sql_with_params()
    customers_sql, customers_params = _customers_sql(user, **scope)
    kx = ("p.kx", "a.kx") if shape.row_key else ("NULL", "NULL")
    pq, aq, no_q = ("p.pq", "a.aq", "0") if shape.by_quantity else (_NONE, _NONE, _NONE)
    pp, pc = ("p.pp", "p.pc") if cumulative else ("0", "0")
    rows = (
        f"SELECT p.cid AS cid, {kx[0]} AS kx, {pq} AS pq, p.pa AS pa, {pp} AS pp, {pc} AS pc, {no_q} AS aq, 0 AS aa "
        f"FROM ({plan_sql}) p UNION ALL SELECT a.cid, {kx[1]}, {no_q}, 0, 0, 0, {aq}, a.aa FROM ({actual_sql}) a"
    )
    k1, k2 = _KEYS[group_by]
    if cumulative:
        split = "SUM(u.pp) AS pp, SUM(u.pc) AS pc"
    else:  # one month: wholly past (all of it "due"), the month in progress, or still ahead
        split = f"SUM(u.pa) * {int(first < pivot)} AS pp, SUM(u.pa) * {int(first == pivot)} AS pc"
    quantities = ("SUM(u.pq)", "SUM(u.aq)") if shape.by_quantity else (_NONE, _NONE)
    sql = (
        f"SELECT {k1} AS k1, {k2} AS k2, {quantities[0]} AS pq, SUM(u.pa) AS pa, {split}, {quantities[1]} AS aq, "
        "SUM(u.aa) AS aa "
        f"FROM ({rows}) u INNER JOIN ({customers_sql}) c ON c.id = u.cid GROUP BY {k1}{'' if k2 == 'NULL' else ', ' + k2}"
    )
    return sql, [*plan_params, *actual_params, *customers_params]


def _dec(value: Any, places: Decimal = CENT) -> Decimal:
    """SQLite hands back sums of decimals as floats; both databases end up as exact Decimals here."""
    if value is None:
        return Decimal(0).quantize(places)
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _row(raw: dict[str, Any], e: int, d: int, has_quantity: bool) -> ProgressRow:
    pa, pp, pc, aa = _dec(raw["pa"]), _dec(raw["pp"]), _dec(raw["pc"]), _dec(raw["aa"])
    expected = (pp + pc * e / d).quantize(CENT, rounding=ROUND_HALF_UP)
    return ProgressRow(
        key=(raw["k1"], raw["k2"]) if raw.get("k2") is not None else raw["k1"], label="",
        planned_quantity=_dec(raw["pq"], Decimal("0.001")), planned_amount=pa, expected_amount=expected,
        actual_quantity=_dec(raw["aq"], Decimal("0.001")) if has_quantity else None, actual_amount=aa,
        is_behind=pa > 0 and (aa - pp) * d < pc * e,
    )


def _fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


BEHIND_SQL = "(g.pa > 0 AND (g.aa - g.pp) * %s < g.pc * %s)"


def _paged(sql: str, params: list[Any], e: int, d: int, behind_only: bool, limit: int, offset: int) -> list[dict[str, Any]]:
    """The page of groups (largest plan first) with the count, behind count and totals of all groups."""
    totals = ", ".join(f"SUM(g.{c}) OVER () AS t_{c}" for c in ("pq", "pa", "pp", "pc", "aq", "aa"))
    windowed = (
        f"SELECT g.*, COUNT(*) OVER () AS n_all, SUM(CASE WHEN {BEHIND_SQL} THEN 1 ELSE 0 END) OVER () AS n_behind, "
        f"CASE WHEN {BEHIND_SQL} THEN 1 ELSE 0 END AS behind, {totals} FROM ({sql}) g"
    )
    where = "WHERE w.behind = 1 " if behind_only else ""
    page = f"SELECT * FROM ({windowed}) w {where}ORDER BY w.pa DESC, w.aa DESC, w.k1, w.k2 LIMIT %s OFFSET %s"
    return _fetch(page, [d, e, d, e, *params, limit, offset])


def _unit_ids(unit: OrgUnit) -> list[int]:
    return list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


def _report(
    *, user: Any, first: date, last: date, group_by: str, org_unit: OrgUnit | None, rep_id: int | None,
    customer_id: int | None, behind_only: bool, limit: int, offset: int, today: date | None, approved_only: bool = False,
) -> ProgressReport:
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    today = today or timezone.localdate()
    pivot = today.replace(day=1)
    e, d = today.day, month_days(pivot)
    scope = {"units": _unit_ids(org_unit) if org_unit else None, "rep_id": rep_id, "customer_id": customer_id}
    sql, params = _sides_sql(user, group_by, first, last, pivot, scope, approved_only)
    has_quantity = _shape(group_by).by_quantity
    elapsed, days = elapsed_days(first, last, today)
    report = ProgressReport(group_by, first, last, today, elapsed, days, [], ProgressRow(None, _("Total")), 0, 0,
                            org_unit=org_unit, offset=offset, limit=limit if group_by in PAGED else None)
    if group_by in PAGED:
        raw = _paged(sql, params, e, d, behind_only, limit, offset)
        if not raw and offset:
            raw_totals = _paged(sql, params, e, d, False, 1, 0)
        else:
            raw_totals = raw
        report.rows = [_row(r, e, d, has_quantity) for r in raw]
        if raw_totals:
            head = raw_totals[0]
            report.count, report.behind_count = int(head["n_all"]), int(head["n_behind"] or 0)
            report.totals = _row({"k1": None, "k2": None, **{c: head[f"t_{c}"] for c in ("pq", "pa", "pp", "pc", "aq", "aa")}},
                                 e, d, has_quantity)
            report.totals.label = _("Total")
    else:
        rows = [_row(r, e, d, has_quantity) for r in _fetch(sql, params)]
        rows = _rolled_up(user, rows, org_unit) if group_by == "org_unit" else _by_month(rows, first, last, e, d)
        report.totals = _sum_rows(rows, e, d, has_quantity)
        report.count = len(rows)
        report.behind_count = sum(1 for r in rows if r.is_behind)
        report.rows = [r for r in rows if r.is_behind] if behind_only else rows
    _label(report, user)
    return report


def plan_progress(
    *, user: Any, month: date, group_by: str = "customer", org_unit: OrgUnit | None = None, rep_id: int | None = None,
    customer_id: int | None = None, behind_only: bool = False, approved_only: bool = False, limit: int = 100,
    offset: int = 0, today: date | None = None,
) -> ProgressReport:
    """Plan vs actual for one month, grouped by customer, rep, org unit (subtree rollup), product or line.

    Plans count in every status unless `approved_only`; actuals are always all booked sales."""
    first = month.replace(day=1)
    return _report(user=user, first=first, last=first, group_by=group_by, org_unit=org_unit, rep_id=rep_id,
                   customer_id=customer_id, behind_only=behind_only, limit=limit, offset=offset, today=today,
                   approved_only=approved_only)


def plan_progress_cumulative(
    *, user: Any, year: int, through_month: int, group_by: str = "customer", org_unit: OrgUnit | None = None,
    rep_id: int | None = None, customer_id: int | None = None, behind_only: bool = False, approved_only: bool = False,
    limit: int = 100, offset: int = 0, today: date | None = None,
) -> ProgressReport:
    """Year to date: January to `through_month` summed; with group_by="month", one row per month with running totals."""
    return _report(user=user, first=date(year, 1, 1), last=date(year, through_month, 1), group_by=group_by,
                   org_unit=org_unit, rep_id=rep_id, customer_id=customer_id, behind_only=behind_only,
                   limit=limit, offset=offset, today=today, approved_only=approved_only)


# --- rollups and labels -----------------------------------------------------------------------

def _add(into: ProgressRow, row: ProgressRow) -> None:
    into.planned_quantity = (into.planned_quantity or ZERO) + (row.planned_quantity or ZERO)
    into.planned_amount += row.planned_amount
    into.expected_amount += row.expected_amount
    into.actual_amount += row.actual_amount
    if row.actual_quantity is not None:
        into.actual_quantity = (into.actual_quantity or ZERO) + row.actual_quantity


def _sum_rows(rows: list[ProgressRow], e: int, d: int, has_quantity: bool) -> ProgressRow:
    total = ProgressRow(None, _("Total"), actual_quantity=ZERO if has_quantity else None)
    for row in rows:
        _add(total, row)
    total.is_behind = total.planned_amount > 0 and total.actual_amount < total.expected_amount
    return total


def default_unit(user: Any) -> OrgUnit | None:
    """Where the org-unit rollup starts: the user's own unit; the single root for see-all roles."""
    if user.role in SEE_ALL_ROLES or user.org_unit_id is None:
        roots = list(OrgUnit.objects.filter(parent__isnull=True)[:2])
        return roots[0] if len(roots) == 1 else None
    return user.org_unit


def _rolled_up(user: Any, rows: list[ProgressRow], unit: OrgUnit | None) -> list[ProgressRow]:
    """Customers' org units rolled up to the children of `unit` (each with its whole subtree)."""
    root = unit or default_unit(user)
    units = {u.pk: u for u in (OrgUnit.objects.filter(path__startswith=root.path) if root else OrgUnit.objects.all())}
    root_depth = root.path.count("/") - 1 if root else 0  # the index in a path of the units shown
    buckets: dict[Any, ProgressRow] = {}
    for row in rows:
        found = units.get(row.key)
        if found is None:
            key = None  # no org unit, or (a lent card) outside the subtree
        else:
            parts = [int(p) for p in found.path.strip("/").split("/")]
            key = parts[root_depth] if len(parts) > root_depth else root.pk if root else parts[0]
        bucket = buckets.setdefault(key, ProgressRow(key, "", actual_quantity=None))
        _add(bucket, row)
        bucket.is_behind = False
    out = []
    for key, bucket in buckets.items():
        bucket.is_behind = bucket.planned_amount > 0 and bucket.actual_amount < bucket.expected_amount
        target = units.get(key)
        bucket.label = target.name if target else _("Other (no org unit or outside this area)")
        bucket.extra["unit"] = target
        bucket.extra["is_self"] = root is not None and key == root.pk
        bucket.extra["drill"] = target is not None and key != (root.pk if root else None)
        out.append(bucket)
    return sorted(out, key=lambda r: (r.extra["is_self"], -r.planned_amount, r.label))


def _by_month(rows: list[ProgressRow], first: date, last: date, e: int, d: int) -> list[ProgressRow]:
    """One row per month of the period (empty months too), with running year-to-date sums."""
    by_key = {row.key: row for row in rows}
    out, planned, actual = [], ZERO, ZERO
    month = first
    while month <= last:
        row = by_key.get(month) or ProgressRow(month, "", actual_quantity=None)
        planned, actual = planned + row.planned_amount, actual + row.actual_amount
        row.cumulative_planned, row.cumulative_actual = planned, actual
        out.append(row)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def _label(report: ProgressReport, user: Any) -> None:
    rows, group_by = report.rows, report.group_by
    if group_by == "month":
        for row in rows:
            row.label = f"{row.key:%Y-%m}"
        return
    if group_by == "org_unit":
        return
    first_keys = {r.key[0] if isinstance(r.key, tuple) else r.key for r in rows}
    if group_by in ("customer", "line"):
        customers = {c["pk"]: c for c in Customer.objects.filter(pk__in=first_keys).values(
            "pk", "code", "name", "owner__display_name", "owner__username")}
    if group_by in ("product", "line"):
        ids = {r.key[1] if isinstance(r.key, tuple) else r.key for r in rows}
        products = {p["pk"]: p for p in Product.objects.filter(pk__in=ids).values("pk", "sku", "name", "spec", "unit")}
    if group_by == "rep":
        users = {u.pk: u for u in User.objects.filter(pk__in=first_keys)}
    for row in rows:
        if group_by == "customer":
            c = customers.get(row.key, {})
            row.label, row.detail = c.get("name", ""), c.get("code", "")
            row.extra["owner"] = c.get("owner__display_name") or c.get("owner__username") or ""
        elif group_by == "rep":
            rep = users.get(row.key)
            row.label = (rep.display_name or rep.username) if rep else _("(no owner)")
        elif group_by == "product":
            p = products.get(row.key, {})
            row.label, row.detail = f"{p.get('name', '')} {p.get('spec', '')}".strip(), p.get("sku", "")
            row.extra["unit"] = p.get("unit", "")
        else:
            c, p = customers.get(row.key[0], {}), products.get(row.key[1], {})
            row.label = f"{c.get('name', '')} · {p.get('name', '')} {p.get('spec', '')}".strip()
            row.detail = f"{c.get('code', '')} · {p.get('sku', '')}"


def visible_units(user: Any) -> QuerySet[OrgUnit]:
    """Org units a user may filter progress by: all for see-all roles; a manager's or rep's own subtree."""
    if user.role in SEE_ALL_ROLES:
        return OrgUnit.objects.all()
    if user.org_unit_id:
        return OrgUnit.objects.filter(path__startswith=user.org_unit.path)
    return OrgUnit.objects.none()


def progress_for_query(*, user: Any, query: dict[str, Any]) -> ProgressReport:
    """The report a parsed progress query asks for (the API and the web page parse to the same dict)."""
    month = query.get("month") or timezone.localdate().replace(day=1)
    unit = None
    if query.get("org_unit"):
        unit = visible_units(user).filter(pk=query["org_unit"]).first()
        if unit is None:
            raise ValidationError({"org_unit": [_("No such org unit among yours.")]})
    group_by = query.get("group_by") or "customer"
    common = {"user": user, "group_by": group_by, "org_unit": unit, "rep_id": query.get("rep"),
              "behind_only": bool(query.get("behind")), "approved_only": bool(query.get("approved_only")),
              "limit": query.get("limit", 100), "offset": query.get("offset", 0)}
    if query.get("period") == "ytd":
        return plan_progress_cumulative(year=month.year, through_month=month.month, **common)
    if group_by == "month":
        raise ValidationError({"group_by": [_("Grouping by month needs the year-to-date period.")]})
    return plan_progress(month=month, **common)
