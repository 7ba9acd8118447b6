"""Reads of receivables and collections, always for the asking user (everything starts from `visible_to`).

Ageing reads only open receivables through the partial index `order_open_due_idx` (booked orders
with `open_amount > 0`) and groups in SQL: one query per report, Decimal sums that reconcile to
the total open to the fen. Sales-vs-collections reads the monthly `CustomerMonth` summaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Case, Count, DecimalField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts import scope
from kehu.accounts.models import OrgUnit, Role, User
from kehu.core.errors import NotFound
from kehu.customers.models import Customer
from kehu.sales.models import (
    BOOKED,
    ZERO,
    Allocation,
    Collection,
    CollectionStatus,
    CustomerMonth,
    Order,
    Payment,
    PaymentKind,
)
from kehu.sales.summaries import month_of

GroupBy = Literal["customer", "rep", "org_unit"]
BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
BUCKET_LABELS = {
    "current": _("Not yet due"),
    "d1_30": _("1–30 days"),
    "d31_60": _("31–60 days"),
    "d61_90": _("61–90 days"),
    "d90_plus": _("Over 90 days"),
}
GROUP_KEYS = {"customer": "customer_id", "rep": "customer__owner_id", "org_unit": "customer__org_unit_id"}
MONEY = DecimalField(max_digits=18, decimal_places=2)
# Who sees the sales-vs-collections balance and others' collection lists.
BALANCE_ROLES = frozenset({Role.MANAGER, Role.FINANCE, Role.DIRECTOR, Role.ADMIN, Role.AUDITOR})


def can_see_balance(user: Any) -> bool:
    """Sales vs collections is a management view: managers, finance, the director, admins, auditors."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in BALANCE_ROLES)


def open_receivables(*, user: Any) -> QuerySet[Order]:
    """Booked orders with money still to collect, visible to `user` (the partial index's rows)."""
    return Order.objects.visible_to(user).filter(status__in=BOOKED, open_amount__gt=0)


def bucket_sums(on: date, prefix: str = "") -> dict[str, Any]:
    """Σ open_amount per ageing bucket as conditional sums; the buckets cover every row exactly once."""
    due, amount = f"{prefix}due_date", f"{prefix}open_amount"

    def between(newest: int, oldest: int | None) -> Q:
        q = Q(**{f"{due}__lte": on - timedelta(days=newest)})
        return q & Q(**{f"{due}__gte": on - timedelta(days=oldest)}) if oldest else q

    conditions = {
        "current": Q(**{f"{due}__gte": on}) | Q(**{f"{due}__isnull": True}),
        "d1_30": between(1, 30),
        "d31_60": between(31, 60),
        "d61_90": between(61, 90),
        "d90_plus": Q(**{f"{due}__lt": on - timedelta(days=90)}),
    }
    sums: dict[str, Any] = {
        name: Coalesce(Sum(Case(When(cond, then=amount), default=Value(ZERO), output_field=MONEY)), Value(ZERO),
                       output_field=MONEY)
        for name, cond in conditions.items()
    }
    sums["total"] = Coalesce(Sum(amount), Value(ZERO), output_field=MONEY)
    return sums


CENT = Decimal("0.01")


def cents(value: Decimal | None) -> Decimal:
    """A money sum as Decimal with 2 places (SQLite hands back sums like Decimal("20"))."""
    return (value or ZERO).quantize(CENT)


def ageing_of(row: dict[str, Any]) -> dict[str, Decimal]:
    return {name: cents(row.get(name)) for name in (*BUCKETS, "total")}


@dataclass
class AgeingRow:
    key: int | None
    label: str
    current: Decimal = ZERO
    d1_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    d90_plus: Decimal = ZERO
    total: Decimal = ZERO
    orders: int = 0
    code: str = ""

    @property
    def overdue(self) -> Decimal:
        return self.total - self.current

    def buckets(self) -> list[Decimal]:
        return [getattr(self, name) for name in BUCKETS]


@dataclass
class Ageing:
    on: date
    group_by: str
    rows: list[AgeingRow]
    total: AgeingRow
    truncated: bool = False
    labels: dict[str, Any] = field(default_factory=lambda: BUCKET_LABELS)


def _labels(group_by: str, keys: list[Any]) -> dict[Any, tuple[str, str]]:
    ids = [k for k in keys if k is not None]
    if group_by == "rep":
        return {u.pk: (str(u), u.username) for u in User.objects.filter(pk__in=ids)}
    if group_by == "org_unit":
        return {u.pk: (u.name, u.code) for u in OrgUnit.objects.filter(pk__in=ids)}
    return {c["pk"]: (c["name"], c["code"]) for c in Customer.objects.filter(pk__in=ids).values("pk", "name", "code")}


def _ageing_rows(group_by: str, grouped: list[dict[str, Any]]) -> list[AgeingRow]:
    key = GROUP_KEYS[group_by]
    names = _labels(group_by, [r[key] for r in grouped])
    rows = []
    for r in grouped:
        label, code = names.get(r[key], ("", ""))
        rows.append(AgeingRow(
            key=r[key], label=label or str(_("(nobody)")), code=code, orders=r["orders"], **ageing_of(r),
        ))
    return rows


def _total(rows: list[AgeingRow]) -> AgeingRow:
    totals: dict[str, Any] = {name: sum((getattr(row, name) for row in rows), ZERO) for name in (*BUCKETS, "total")}
    totals["orders"] = sum(row.orders for row in rows)
    return AgeingRow(key=None, label=str(_("Total")), **totals)


def receivable_ageing(*, user: Any, group_by: GroupBy = "rep", on: date | None = None, limit: int | None = None) -> Ageing:
    """Open receivables by ageing bucket, per customer, rep (the card's owner) or org unit (the card's).

    Rows are sorted by total open, largest first; `limit` keeps the largest rows (the total is
    always over everything). One grouped query, plus one for the rows' names.
    """
    if group_by not in GROUP_KEYS:
        raise ValueError(group_by)
    day = on or timezone.localdate()
    sums = bucket_sums(day)
    key = GROUP_KEYS[group_by]
    rows_qs = open_receivables(user=user).values(key).annotate(orders=Count("id"), **sums).order_by("-total", key)
    grouped = list(rows_qs[: limit + 1] if limit else rows_qs)
    truncated = bool(limit and len(grouped) > limit)
    rows = _ageing_rows(group_by, grouped[:limit] if limit else grouped)
    if truncated:
        found = open_receivables(user=user).aggregate(orders=Count("id"), **sums)
        total = AgeingRow(key=None, label=str(_("Total")), orders=found["orders"], **ageing_of(found))
    else:
        total = _total(rows)
    return Ageing(on=day, group_by=group_by, rows=rows, total=total, truncated=truncated)


def receivable_ageing_by_rep_and_unit(*, user: Any, on: date | None = None) -> tuple[Ageing, Ageing]:
    """The ageing per rep and per org unit from one scan of the open receivables: grouped in SQL by
    (card owner, card org unit), those few pairs rolled up both ways here (the overview page)."""
    day = on or timezone.localdate()
    rep_key, unit_key = GROUP_KEYS["rep"], GROUP_KEYS["org_unit"]
    pairs = list(open_receivables(user=user).values(rep_key, unit_key).annotate(orders=Count("id"), **bucket_sums(day))
                 .order_by())
    out = []
    for group_by, key in (("rep", rep_key), ("org_unit", unit_key)):
        rolled: dict[Any, dict[str, Any]] = {}
        for pair in pairs:
            row = rolled.setdefault(pair[key], {key: pair[key], "orders": 0, **{n: ZERO for n in (*BUCKETS, "total")}})
            row["orders"] += pair["orders"]
            for name in (*BUCKETS, "total"):
                row[name] += pair[name] or ZERO
        grouped = sorted(rolled.values(), key=lambda r: (-r["total"], r[key] or 0))
        rows = _ageing_rows(group_by, grouped)
        out.append(Ageing(on=day, group_by=group_by, rows=rows, total=_total(rows)))
    return out[0], out[1]


def customer_receivables(*, user: Any, on: date | None = None) -> QuerySet[Customer]:
    """Visible customers with open receivables, each annotated with its ageing buckets, the open
    total and its unallocated credit (`credit`) — the rows of `/api/v1/receivables/?group_by=customer`."""
    day = on or timezone.localdate()
    credit = Subquery(
        Payment.objects.filter(customer_id=OuterRef("pk"), kind__in=(PaymentKind.PAYMENT, PaymentKind.CREDIT_NOTE),
                               unallocated__gt=0)
        .order_by().values("customer_id").annotate(s=Sum("unallocated")).values("s")[:1],
        output_field=MONEY,
    )
    return (
        Customer.objects.visible_to(user)
        .filter(orders__status__in=BOOKED, orders__open_amount__gt=0)
        .annotate(orders_open=Count("orders"), oldest_due=Min("orders__due_date"), **bucket_sums(day, "orders__"))
        .annotate(credit=Coalesce(credit, Value(ZERO), output_field=MONEY))
    )


# --- DSO -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dso:
    since: date  # the first day of the period (the first of a month)
    days: int  # the period's length in days, `since` to `on` inclusive
    receivables: Decimal  # Σ open_amount now
    sales: Decimal  # Σ booked sales in the period (monthly summaries)
    value: Decimal | None  # receivables ÷ sales × days; None without sales in the period


def dso(
    *, user: Any, days: int = 90, on: date | None = None, customer_id: int | None = None, rep_id: int | None = None,
    org_unit_id: int | None = None, receivables: Decimal | None = None,
) -> Dso:
    """Days sales outstanding, the simple (average) method:

        DSO = Σ open receivables today ÷ Σ booked sales in the period × the period's days

    The period is whole months, about `days` long, ending with the current month to date (days=90 on
    27 November: 1 September to 27 November, 88 days), so the sales come from the `CustomerMonth`
    summaries instead of a scan of three months of orders (2 s at 10M lines; this is one index read).
    Over the orders `user` may see, optionally one customer, one rep's cards or one org unit's cards.
    A caller that has just summed the same open receivables (the overview's ageing) passes them in.
    """
    day = on or timezone.localdate()
    scope_q = Q()
    if customer_id:
        scope_q &= Q(customer_id=customer_id)
    if rep_id:
        scope_q &= Q(customer__owner_id=rep_id)
    if org_unit_id:
        scope_q &= Q(customer__org_unit_id=org_unit_id)
    if receivables is None:
        receivables = cents(open_receivables(user=user).filter(scope_q).aggregate(s=Sum("open_amount"))["s"])
    since = months_back(day, max(1, round(days / 30)))[0]
    sales = cents(
        CustomerMonth.objects.visible_to(user).filter(scope_q, month__gte=since, month__lte=month_of(day))
        .aggregate(s=Sum("sales"))["s"]
    )
    period = (day - since).days + 1
    value = (receivables / sales * period).quantize(Decimal("0.1")) if sales > 0 else None
    return Dso(since=since, days=period, receivables=receivables, sales=sales, value=value)


# --- the overdue list and the week's collections ----------------------------------------------


def overdue_orders(*, user: Any, on: date | None = None, rep_id: int | None = None) -> QuerySet[Order]:
    """Overdue open orders (oldest due first) with the card, its owner, and the open planned
    collections (`open_collections`, with their responsible user): who must collect."""
    day = on or timezone.localdate()
    rows = Order.objects.visible_to(user).overdue(day)
    if rep_id:
        rows = rows.filter(customer__owner_id=rep_id)
    return rows.select_related("customer", "customer__owner", "rep").prefetch_related(
        Prefetch(
            "collections", to_attr="open_collections",
            queryset=Collection.objects.filter(status=CollectionStatus.OPEN).select_related("responsible").order_by("due_on"),
        )
    ).order_by("due_date", "id")


def collectors_visible(user: Any) -> QuerySet[User]:
    """Whose collection lists `user` may open: their own (reps); their subtree (managers); everyone's
    for finance, the director, admins and auditors."""
    q = scope.users_visible_q(user)
    users = User.objects.filter(is_active=True)
    if user.role in (Role.REP, Role.CUSTODIAN):
        return users.filter(pk=user.pk)
    return users if q is None else users.filter(q)


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def collections_week(*, user: Any, rep: User, week_start: date, today: date | None = None) -> list[Collection]:
    """The open collections `rep` is responsible for, due by the end of the week starting `week_start`
    (including earlier ones still open), largest amount first, then the oldest; each with `days_late`
    and `is_reminder` (due within the reminder lead time, or today)."""
    from kehu.sales.services.collections import remind_days

    if not collectors_visible(user).filter(pk=rep.pk).exists():
        raise NotFound
    day = today or timezone.localdate()
    end = week_start + timedelta(days=6)
    rows = list(
        Collection.objects.visible_to(user)
        .filter(responsible=rep, status=CollectionStatus.OPEN, due_on__lte=end)
        .select_related("customer", "order", "responsible")
        .order_by("-amount", "due_on", "id")
    )
    ahead = day + timedelta(days=remind_days())
    for row in rows:
        row.days_late = max((day - row.due_on).days, 0)  # type: ignore[attr-defined]
        row.is_reminder = day <= row.due_on <= ahead  # type: ignore[attr-defined]
    return rows


def collection_queryset(*, user: Any) -> QuerySet[Collection]:
    return Collection.objects.visible_to(user).select_related("customer", "order", "responsible")


def collection_get(*, user: Any, collection_id: Any) -> Collection:
    try:
        pk = int(collection_id)
    except (TypeError, ValueError):
        raise NotFound from None
    row = collection_queryset(user=user).filter(pk=pk).first()
    if row is None:
        raise NotFound
    return row


# --- payments --------------------------------------------------------------------------------


def payment_queryset(*, user: Any) -> QuerySet[Payment]:
    allocations = Allocation.objects.select_related("order").order_by("id")
    return (
        Payment.objects.visible_to(user)
        .select_related("customer", "received_by", "created_by")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
    )


def payment_get(*, user: Any, payment_id: Any) -> Payment:
    try:
        pk = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound from None
    payment = payment_queryset(user=user).filter(pk=pk).first()
    if payment is None:
        raise NotFound
    return payment


def allocatable_orders(*, user: Any, customer_id: int) -> list[Order]:
    """The customer's open booked orders, oldest due first (for allocating by hand)."""
    return list(
        open_receivables(user=user).filter(customer_id=customer_id)
        .order_by(Coalesce("due_date", "order_date"), "order_date", "id")
    )


# --- sales vs collections --------------------------------------------------------------------


@dataclass
class BalanceMonth:
    month: date
    sold: Decimal
    collected: Decimal
    cumulative: Decimal  # Σ (sold − collected) from the first month shown

    @property
    def difference(self) -> Decimal:
        return self.sold - self.collected


@dataclass
class BalanceRow:
    key: Any
    label: str
    months: list[BalanceMonth]

    @property
    def sold(self) -> Decimal:
        return sum((m.sold for m in self.months), ZERO)

    @property
    def collected(self) -> Decimal:
        return sum((m.collected for m in self.months), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.sold - self.collected


def months_back(until: date, months: int) -> list[date]:
    first = month_of(until)
    out = [first]
    for _i in range(months - 1):
        first = month_of(first - timedelta(days=1))
        out.append(first)
    return out[::-1]


def sales_collections_balance(
    *, user: Any, group_by: Literal["rep", "customer", "month"] = "rep", months: int = 12, until: date | None = None,
    limit: int = 200,
) -> list[BalanceRow]:
    """What was sold (booked) and what came in (payments − refunds), per rep (card owner), customer, or
    for everything visible ("month"), month by month with the running difference. One grouped query
    over `CustomerMonth`, plus one for names."""
    window = months_back(until or timezone.localdate(), max(1, min(months, 36)))
    key = {"rep": "customer__owner_id", "customer": "customer_id", "month": None}[group_by]
    fields = [key, "month"] if key else ["month"]
    grouped = (
        CustomerMonth.objects.visible_to(user).filter(month__gte=window[0], month__lte=window[-1])
        .values(*fields).annotate(sold=Sum("sales"), collected=Sum("collected")).order_by()
    )
    cells: dict[Any, dict[date, tuple[Decimal, Decimal]]] = {}
    for r in grouped:
        cells.setdefault(r[key] if key else None, {})[r["month"]] = (cents(r["sold"]), cents(r["collected"]))
    names = _labels(group_by, list(cells)) if key else {}
    rows = []
    for group, by_month in cells.items():
        running, line = ZERO, []
        for month in window:
            sold, collected = by_month.get(month, (ZERO, ZERO))
            running += sold - collected
            line.append(BalanceMonth(month, sold, collected, running))
        label = names.get(group, ("", ""))[0] if key else str(_("All visible customers"))
        rows.append(BalanceRow(group, label or str(_("(nobody)")), line))
    rows.sort(key=lambda row: (-row.sold, str(row.label)))
    return rows[:limit]


def collection_candidates(*, customer: Customer) -> list[User]:
    """Who may be made responsible for collecting from `customer`: active users who see the card by
    role, ownership or subtree (one query; the service checks the chosen one with `scope.can_view`)."""
    candidates = User.objects.filter(is_active=True).select_related("org_unit").order_by("username")[:1000]
    return [user for user in candidates if scope.sees_by_position(user, customer)]
