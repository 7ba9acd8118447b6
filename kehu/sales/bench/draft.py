"""Drafting the benchmark's sales history, one chunk of customers at a time, as rows ready to COPY.

Money is counted in integer cents while drafting (exact and fast) and written as decimal text.
Each chunk holds every row of its customers, so the monthly summaries of those customers are
complete when the chunk is: they are aggregated here, while drafting, never by a second scan.
Row tuples follow the column lists in `COLUMNS` (the writer appends any other column's default).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from kehu.sales.bench.catalogue import CatalogueItem
from kehu.sales.models import (
    Allocation,
    Collection,
    CustomerMonth,
    Order,
    OrderLine,
    Payment,
    PlanLine,
    PlanSupport,
    SalesMonth,
    SalesPlan,
)

NUMBER_PREFIX = "BS"
COLUMNS: dict[Any, tuple[str, ...]] = {
    Order: ("id", "number", "customer_id", "seller_id", "rep_id", "status", "order_date", "due_date", "settlement",
            "source", "total", "paid", "open_amount", "note", "external_ref", "created_by_id", "confirmed_at",
            "delivered_at", "cancelled_at", "version", "created_at", "updated_at"),
    OrderLine: ("id", "order_id", "line_no", "product_id", "spec", "quantity", "unit_price", "discount", "amount"),
    Payment: ("id", "customer_id", "kind", "date", "amount", "unallocated", "method", "reference", "note",
              "received_by_id", "created_by_id", "created_at"),
    Allocation: ("id", "payment_id", "order_id", "amount", "created_by_id", "created_at"),
    Collection: ("id", "customer_id", "order_id", "due_on", "amount", "responsible_id", "status", "note",
                 "reminded_before_at", "reminded_due_at", "version", "created_at", "updated_at"),
    SalesPlan: ("id", "customer_id", "month", "status", "total_quantity", "total_amount", "support_cost", "note",
                "created_by_id", "submitted_at", "decided_by_id", "decided_at", "decision_note", "version",
                "created_at", "updated_at"),
    PlanLine: ("id", "plan_id", "product_id", "quantity", "amount", "schedule"),
    PlanSupport: ("id", "plan_id", "kind", "description", "cost"),
    SalesMonth: ("id", "customer_id", "product_id", "month", "quantity", "amount"),
    CustomerMonth: ("id", "customer_id", "month", "sales", "orders", "collected"),
}
MODELS = list(COLUMNS)

# Integer weights of a customer's share of all order lines (products of the factors below).
TIER_WEIGHT = {"A": 120, "B": 50, "C": 20, "D": 8}
STATUS_WEIGHT = {"active": 5, "dormant": 3, "lost": 2, "potential": 0, "prospect": 0}
LEVEL_WEIGHT = {"distributor": 15, "wholesaler": 10, "sub_wholesaler": 7, "retailer": 5, "end_user": 3}
KEY_WEIGHT = {True: 3, False: 2}
# Lines per order: 1..5, three on average.
LINES_PER_ORDER, LINES_CUM = [1, 2, 3, 4, 5], list(accumulate([15, 20, 30, 20, 15]))
# Seasons of a Chinese food and drinks trade: Spring Festival stocking, a quiet February, Mid-Autumn.
SEASON = {1: 1.35, 2: 0.7, 3: 0.9, 4: 0.95, 5: 1.0, 6: 1.05, 7: 0.9, 8: 0.95, 9: 1.2, 10: 1.15, 11: 1.0, 12: 1.25}
GROWTH_PER_YEAR = 0.12
BASE_QUANTITY = {"A": 24, "B": 12, "C": 6, "D": 3}
LEVEL_QUANTITY = {"distributor": 5.0, "wholesaler": 3.0, "sub_wholesaler": 2.0, "retailer": 1.0, "end_user": 0.5}
QUANTITY_SPREAD = [0.25, 0.5, 0.5, 0.75, 1, 1, 1, 1.5, 2, 3]
# How a customer pays, by tier: (prompt, normal, slow) shares; each a (min, max) delay after the due date.
PAYER_MIX = {"A": (60, 35, 5), "B": (40, 45, 15), "C": (25, 50, 25), "D": (15, 45, 40)}
PAYER_DELAY = [(-7, 3), (-3, 20), (10, 75)]
METHODS = ["transfer"] * 6 + ["wechat", "alipay", "cash", "acceptance"]
SUPPORT_KINDS = ["promotion", "display", "training", "delivery", "other"]
DORMANT_AFTER = {"A": 60, "B": 90, "C": 120, "D": 180}


def cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def customer_weight(tier: str, status: str, level: str, is_key: bool) -> int:
    return TIER_WEIGHT.get(tier, 8) * STATUS_WEIGHT.get(status, 0) * LEVEL_WEIGHT.get(level, 5) * KEY_WEIGHT[bool(is_key)]


@dataclass
class CustomerRow:
    id: int
    tier: str
    status: str
    level: str
    is_key: bool
    owner_id: int | None
    org_unit_id: int | None
    terms: int

    @property
    def weight(self) -> int:
        return customer_weight(self.tier, self.status, self.level, self.is_key)


@dataclass
class Chunk:
    rows: dict[Any, list[tuple[Any, ...]]] = field(default_factory=lambda: {m: [] for m in MODELS})
    lines: int = 0


@dataclass
class Ids:
    """The next free id of every table (ids are given explicitly, so COPY needs no sequence)."""

    next: dict[Any, int]

    def take(self, model: Any) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class SalesDrafter:
    def __init__(
        self,
        *,
        rng: random.Random,
        today: date,
        years: int,
        catalogue: list[CatalogueItem],
        ids: Ids,
        managers: dict[int, int],
        plan_months: int,
        plan_share: float,
        timestamp_suffix: str,
    ) -> None:
        self.rng, self.today, self.ids = rng, today, ids
        self.catalogue, self.managers = catalogue, managers
        self.plan_share, self.suffix = plan_share, timestamp_suffix
        self.first_day = today - timedelta(days=365 * years - 1)
        self.days = (today - self.first_day).days + 1
        weights = []
        for n in range(self.days):
            day = self.first_day + timedelta(days=n)
            weights.append(SEASON[day.month] * (1 + GROWTH_PER_YEAR * n / 365))
        self.day_cum = list(accumulate(weights))
        # Zipf popularity: the catalogue's first products sell most.
        self.product_cum = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(catalogue))))
        current = month_of(today)
        self.plan_months = [_months_back(current, n) for n in reversed(range(plan_months))]
        self.current_month = current

    # --- helpers -----------------------------------------------------------------------------

    def stamp(self, day: date, hour: int = 2) -> str:
        """A timestamp on `day` (UTC hour; 02:00 UTC is 10:00 in Shanghai) in the backend's text form."""
        return f"{day.isoformat()} {hour:02d}:00:00{self.suffix}"

    def order_day(self, last_index: int) -> date:
        top = self.day_cum[last_index]
        return self.first_day + timedelta(days=bisect_left(self.day_cum, self.rng.random() * top))

    def basket(self, tier: str) -> list[CatalogueItem]:
        size = {"A": 12, "B": 9, "C": 7, "D": 5}.get(tier, 5)
        picked: dict[int, CatalogueItem] = {}
        top = self.product_cum[-1]
        while len(picked) < min(size, len(self.catalogue)):
            item = self.catalogue[bisect_left(self.product_cum, self.rng.random() * top)]
            picked.setdefault(item.id, item)
        return list(picked.values())

    # --- a chunk of customers ------------------------------------------------------------------

    def chunk(self, customers: list[tuple[CustomerRow, int]]) -> Chunk:
        """All rows of these customers, each with its number of order lines."""
        out = Chunk()
        for customer, lines in customers:
            if lines > 0:
                self.customer(out, customer, lines)
        return out

    def customer(self, out: Chunk, c: CustomerRow, lines: int) -> None:
        rng, rows = self.rng, out.rows
        basket = self.basket(c.tier)
        basket_cum = list(accumulate(1 / (n + 1) ** 0.7 for n in range(len(basket))))
        last_index = self.days - 1
        if c.status == "dormant":
            gap = DORMANT_AFTER.get(c.tier, 120)
            last_index = max(30, self.days - 1 - rng.randint(gap, gap + 200))
        elif c.status == "lost":
            last_index = max(60, self.days - 1 - rng.randint(365, 700))
        counts = []
        while lines > 0:
            k = min(rng.choices(LINES_PER_ORDER, cum_weights=LINES_CUM)[0], lines, len(basket))
            counts.append(k)
            lines -= k
        days = sorted(self.order_day(last_index) for _ in counts)
        base_qty = BASE_QUANTITY.get(c.tier, 3) * LEVEL_QUANTITY.get(c.level, 1.0)
        sales: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        months: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
        booked: list[tuple[int, date, date, int, str]] = []  # order id, order day, due day, total, settlement
        owner = c.owner_id
        for k, day in zip(counts, days, strict=True):
            order_id = self.ids.take(Order)
            age = (self.today - day).days
            status = self.order_status(age)
            settlement = "credit" if c.terms else ("prepaid" if rng.random() < 0.1 else "cash")
            due = day + timedelta(days=c.terms)
            total = 0
            chosen: dict[int, CatalogueItem] = {}
            top = basket_cum[-1]
            while len(chosen) < k:
                item = basket[bisect_left(basket_cum, rng.random() * top)]
                chosen.setdefault(item.id, item)
            month = month_of(day)
            is_booked = status in ("confirmed", "delivered")
            for line_no, item in enumerate(chosen.values(), start=1):
                quantity = max(1, round(base_qty * rng.choice(QUANTITY_SPREAD)))
                price = item.prices[c.level] if c.level in item.prices else next(iter(item.prices.values()))
                gross = quantity * price
                discount = gross * rng.choice((2, 3, 5)) // 100 if rng.random() < 0.08 else 0
                amount = gross - discount
                total += amount
                rows[OrderLine].append((
                    self.ids.take(OrderLine), order_id, line_no, item.id, item.spec, str(quantity),
                    cents(price), cents(discount), cents(amount),
                ))
                if is_booked:
                    cell = sales[(item.id, month)]
                    cell[0] += quantity
                    cell[1] += amount
            out.lines += k
            created = self.stamp(day, 1)
            rows[Order].append([
                order_id, f"{NUMBER_PREFIX}{order_id:010d}", c.id, None, owner, status, day.isoformat(),
                due.isoformat(), settlement, "demo", total, 0, total if is_booked else 0, "", "", owner,
                self.stamp(day) if status in ("confirmed", "delivered") else None,
                self.stamp(day + timedelta(days=2), 6) if status == "delivered" else None,
                self.stamp(day + timedelta(days=1)) if status == "cancelled" else None,
                1, created, created,
            ])
            if is_booked:
                booked.append((len(rows[Order]) - 1, day, due, total, settlement))
                months[month][0] += total
                months[month][1] += 1
        paid_rows = self.money(rows, c, booked, months)
        self.open_collections(rows, c, booked, paid_rows)
        self.plans(rows, c, basket, sales)
        for (product_id, month), (quantity, amount) in sales.items():
            rows[SalesMonth].append(
                (self.ids.take(SalesMonth), c.id, product_id, month.isoformat(), str(quantity), cents(amount))
            )
        for month, (total, count, collected) in months.items():
            rows[CustomerMonth].append(
                (self.ids.take(CustomerMonth), c.id, month.isoformat(), cents(total), count, cents(collected))
            )

    def order_status(self, age: int) -> str:
        r = self.rng.random()
        if age <= 2:
            return "draft" if r < 0.1 else "confirmed"
        if age <= 7:
            return "confirmed" if r < 0.6 else "delivered"
        return "cancelled" if r < 0.025 else "delivered"

    # --- money ---------------------------------------------------------------------------------

    def money(
        self,
        rows: dict[Any, list[Any]],
        c: CustomerRow,
        booked: list[tuple[int, date, date, int, str]],
        months: dict[date, list[int]],
    ) -> dict[int, int]:
        """Payments, credit notes and allocations of the booked orders; returns paid cents per order row."""
        rng, today = self.rng, self.today
        mix = PAYER_MIX.get(c.tier, PAYER_MIX["C"])
        low, high = PAYER_DELAY[rng.choices((0, 1, 2), weights=mix)[0]]
        plan: list[tuple[date, int, int]] = []  # pay day, order row, cents
        paid: dict[int, int] = {}
        first_payment = len(rows[Payment])
        for row, day, due, total, settlement in booked:
            owed = total
            if rng.random() < 0.005:  # a credit note for damaged goods or a price dispute
                note_day = min(today, day + timedelta(days=rng.randint(3, 20)))
                note = max(1, total * rng.randint(2, 10) // 100)
                self.payment(rows, c, "credit_note", note_day, note, [(row, note)], months)
                paid[row] = note
                owed -= note
            if settlement == "credit":
                pay_day = due + timedelta(days=rng.randint(low, high))
                if pay_day <= day:
                    pay_day = day + timedelta(days=1)
            else:
                pay_day = day if settlement == "prepaid" or rng.random() < 0.95 else day + timedelta(days=rng.randint(1, 10))
            if pay_day > today:
                continue
            recent = (today - due).days <= 120
            r = rng.random()
            if r < (0.06 if recent else 0.002):  # paid in part; the rest is still owed
                owed = owed * rng.randint(40, 90) // 100
            elif not recent and r < 0.004:  # never paid: a bad debt in the 90+ bucket
                continue
            if owed > 0:
                plan.append((pay_day, row, owed))
        plan.sort()
        group: list[tuple[int, int]] = []
        group_day: date | None = None
        for pay_day, row, amount in plan:
            if group and group_day is not None and ((pay_day - group_day).days > 7 or len(group) >= 4):
                self.payment(rows, c, "payment", group_day, sum(a for _, a in group), group, months)
                group = []
            group.append((row, amount))
            group_day = pay_day  # one transfer for the orders due within a week: dated at the last one
            paid[row] = paid.get(row, 0) + amount
        if group and group_day is not None:
            self.payment(rows, c, "payment", group_day, sum(a for _, a in group), group, months)
        orders = rows[Order]
        for row, _day, _due, total, _settlement in booked:
            settled = paid.get(row, 0)
            orders[row][11] = settled
            orders[row][12] = total - settled
        own_payments = rows[Payment][first_payment:]
        if own_payments and not any(orders[row][12] for row, *_ in booked) and rng.random() < 0.03:
            self.overpay(own_payments, months)
        return paid

    def payment(
        self,
        rows: dict[Any, list[Any]],
        c: CustomerRow,
        kind: str,
        day: date,
        amount: int,
        allocations: list[tuple[int, int]],
        months: dict[date, list[int]],
    ) -> None:
        payment_id = self.ids.take(Payment)
        stamp = self.stamp(day, 3)
        method = "other" if kind == "credit_note" else self.rng.choice(METHODS)
        rows[Payment].append([
            payment_id, c.id, kind, day.isoformat(), amount, 0, method, "", "", c.owner_id, c.owner_id, stamp,
        ])
        orders = rows[Order]
        for row, allocated in allocations:
            rows[Allocation].append((self.ids.take(Allocation), payment_id, orders[row][0], cents(allocated), c.owner_id, stamp))
        if kind != "credit_note":
            months[month_of(day)][2] += amount

    def overpay(self, payments: list[list[Any]], months: dict[date, list[int]]) -> None:
        """Money paid ahead (unallocated), only for a customer who owes nothing: otherwise it would be applied."""
        last = next((p for p in reversed(payments) if p[2] == "payment"), None)
        if last is None:
            return
        extra = self.rng.randint(100, 2000) * 100
        last[4] += extra
        last[5] += extra
        months[date.fromisoformat(last[3]).replace(day=1)][2] += extra

    def open_collections(
        self, rows: dict[Any, list[Any]], c: CustomerRow, booked: list[tuple[int, date, date, int, str]],
        paid: dict[int, int],
    ) -> None:
        orders = rows[Order]
        for row, day, due, total, _settlement in booked:
            open_amount = total - paid.get(row, 0)
            if open_amount <= 0:
                continue
            when = due if due >= self.today else self.today + timedelta(days=self.rng.randint(1, 14))
            stamp = self.stamp(day)
            rows[Collection].append((
                self.ids.take(Collection), c.id, orders[row][0], when.isoformat(), cents(open_amount), c.owner_id,
                "open", "", None, None, 1, stamp, stamp,
            ))

    # --- plans ---------------------------------------------------------------------------------

    def plans(
        self, rows: dict[Any, list[Any]], c: CustomerRow, basket: list[CatalogueItem],
        sales: dict[tuple[int, date], list[int]],
    ) -> None:
        rng = self.rng
        if c.status != "active" or rng.random() >= self.plan_share:
            return
        bought: dict[int, int] = defaultdict(int)
        for (product_id, _month), (quantity, _amount) in sales.items():
            bought[product_id] += quantity
        span = max(1, self.days // 30)
        manager = self.managers.get(c.org_unit_id or 0)
        for month in self.plan_months:
            plan_id = self.ids.take(SalesPlan)
            chosen = basket[: rng.randint(2, min(5, len(basket)))]
            total_quantity = total_amount = 0
            for item in chosen:
                quantity = max(1, round(bought.get(item.id, 0) / span * rng.uniform(0.9, 1.3)))
                price = item.prices.get(c.level, next(iter(item.prices.values())))
                amount = quantity * price
                total_quantity += quantity
                total_amount += amount
                rows[PlanLine].append((self.ids.take(PlanLine), plan_id, item.id, str(quantity), cents(amount), ""))
            support = 0
            if rng.random() < 0.25:
                support = rng.randint(2, 50) * 10000
                rows[PlanSupport].append(
                    (self.ids.take(PlanSupport), plan_id, rng.choice(SUPPORT_KINDS), "", cents(support))
                )
            if month < self.current_month:
                status = "approved"
            else:
                status = rng.choices(("approved", "submitted", "draft"), weights=(60, 25, 15))[0]
            drafted = month - timedelta(days=8)
            submitted = self.stamp(month - timedelta(days=5)) if status != "draft" else None
            decided = self.stamp(month - timedelta(days=3)) if status == "approved" else None
            rows[SalesPlan].append((
                plan_id, c.id, month.isoformat(), status, str(total_quantity), cents(total_amount), cents(support), "",
                c.owner_id, submitted, manager if decided else None, decided, "", 1, self.stamp(drafted),
                submitted or self.stamp(drafted),
            ))


def _months_back(month: date, n: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - n, 12)
    return date(year, index + 1, 1)


def finish_money(rows: dict[Any, list[Any]]) -> None:
    """Orders and payments were drafted with integer cents in place; write them as decimal text."""
    for order in rows[Order]:
        order[10], order[11], order[12] = cents(order[10]), cents(order[11]), cents(order[12])
    for payment in rows[Payment]:
        payment[4], payment[5] = cents(payment[4]), cents(payment[5])
