"""Two years of trading for each demo customer: orders with lines, payments, credit notes, allocations.

Everything is drafted in memory (model instances, not yet saved) from one random stream, so the
same seed and the same day give the same ledger; `builder` writes it with bulk inserts.

How a customer trades follows its card: the channel level and tier set how often it orders,
the credit limit and payment terms how much (a credit customer's monthly purchases keep its
receivables at a chosen share of the limit, a few of them right at it), the status when it
stopped (dormant and lost cards stopped months ago; potential and prospect cards never ordered).
Each customer pays in one manner — early, prompt, slow or late — and late payers split some
payments and still owe overdue money today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.demo.profiles import PROFILES
from kehu.customers.models import ChannelLevel, Customer, CustomerStatus
from kehu.sales.demo.catalogue import ITEMS, Item, level_price
from kehu.sales.models import (
    Allocation,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    Product,
    Settlement,
)

L = ChannelLevel
CENT = Decimal("0.01")
HISTORY_DAYS = 730

# Orders a month by channel level, scaled by tier; the season scales both count and size.
ORDERS_PER_MONTH = {L.DISTRIBUTOR: 5.0, L.WHOLESALER: 2.6, L.SUB_WHOLESALER: 1.8, L.RETAILER: 0.6, L.END_USER: 0.8}
TIER_SCALE = {"A": 1.4, "B": 1.15, "C": 0.85, "D": 0.6}
SEASON = {1: 1.15, 2: 0.85, 3: 0.75, 4: 0.85, 5: 1.0, 6: 1.25, 7: 1.45, 8: 1.4, 9: 1.05, 10: 0.95, 11: 0.75, 12: 0.95}
PEAK_SEASON = 1.3  # how far above its average a credit customer's receivables rise in July
# How customers of each tier pay: early, prompt (on the due date), slow (a few weeks late), late.
PAYERS = {
    "A": {"early": 0.3, "prompt": 0.6, "slow": 0.1, "late": 0.0},
    "B": {"early": 0.2, "prompt": 0.6, "slow": 0.14, "late": 0.06},
    "C": {"early": 0.1, "prompt": 0.55, "slow": 0.25, "late": 0.1},
    "D": {"early": 0.05, "prompt": 0.4, "slow": 0.3, "late": 0.25},
}
METHODS = {
    L.DISTRIBUTOR: (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER, PaymentMethod.ACCEPTANCE),
    L.WHOLESALER: (PaymentMethod.TRANSFER, PaymentMethod.WECHAT, PaymentMethod.TRANSFER),
    L.SUB_WHOLESALER: (PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.TRANSFER, PaymentMethod.CASH),
    L.RETAILER: (PaymentMethod.WECHAT, PaymentMethod.CASH, PaymentMethod.ALIPAY),
    L.END_USER: (PaymentMethod.TRANSFER, PaymentMethod.WECHAT),
}
# Days after the last order before a dormant or lost card's story ends.
STOPPED_AGO = {CustomerStatus.DORMANT: (100, 300), CustomerStatus.LOST: (330, 600)}


def money(value: Decimal | float) -> Decimal:
    return Decimal(value).quantize(CENT)


@lru_cache(maxsize=4096)
def at_noon(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock on `day` in the company's time zone (cached: the demo asks for the same days often)."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@dataclass
class Buyer:
    """How one card trades: rate, size, assortment, manner of paying, when it started and stopped."""

    card: Customer
    rate: float  # orders a month before the season
    monthly_value: Decimal
    payer: str
    start: date
    stop: date
    assortment: list[tuple[int, float]]  # (index in ITEMS, weight)
    terms: int

    @property
    def on_credit(self) -> bool:
        return self.terms > 0


@dataclass
class Ledger:
    """Everything drafted, in the order it must be inserted."""

    orders: list[Order] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)


class HistoryDrafter:
    def __init__(self, rng: random.Random, today: date, products: dict[str, Product], finance: User | None) -> None:
        self.rng, self.today, self.finance = rng, today, finance
        self.products = products
        self.ledger = Ledger()
        self._numbers: dict[date, int] = {}  # month → last sequence used

    # --- who buys what ---------------------------------------------------------------------------

    def buyer(self, card: Customer, limit: Decimal) -> Buyer | None:
        if card.status not in (CustomerStatus.ACTIVE, CustomerStatus.DORMANT, CustomerStatus.LOST):
            return None
        rng = self.rng
        rate = ORDERS_PER_MONTH[card.channel_level] * TIER_SCALE.get(card.tier, 0.8) * rng.uniform(0.7, 1.3)
        start = self.today - timedelta(days=HISTORY_DAYS)
        if rng.random() < 0.2:  # won during the two years
            start += timedelta(days=rng.randint(60, 600))
        stop = self.today
        if card.status in STOPPED_AGO:
            low, high = STOPPED_AGO[card.status]
            stop = self.today - timedelta(days=rng.randint(low, high))
            start = min(start, stop - timedelta(days=rng.randint(120, 360)))
        terms = card.payment_terms_days
        if terms > 0 and limit > 0:
            # Receivables sit at `use` of the limit in the summer peak: the orders open at once (at
            # least the last one, else those placed within terms and a week) times the size of one
            # order, both of which the season raises (by about PEAK_SEASON at the top).
            use = rng.uniform(0.85, 1.0) if rng.random() < 0.2 else rng.uniform(0.25, 0.7)
            open_at_once = max(1.0, rate * (terms + 7) / 30)
            monthly = limit * Decimal(use * rate / open_at_once / PEAK_SEASON)
        else:
            low, high, _step = PROFILES[card.channel_level].order_size
            size = card.usual_order_size or Decimal(rng.randint(low, high))
            monthly = Decimal(size) * Decimal(rate)
        payers = PAYERS.get(card.credit_rating or card.tier, PAYERS["C"])
        payer = rng.choices(list(payers), weights=list(payers.values()))[0]
        picks = self._assortment(card)
        return Buyer(card, rate, money(monthly), payer, start, stop, picks, terms)

    def _assortment(self, card: Customer) -> list[tuple[int, float]]:
        rng = self.rng
        size = {L.DISTRIBUTOR: 18, L.WHOLESALER: 12, L.SUB_WHOLESALER: 9}.get(card.channel_level, 6)
        indexes = list(range(len(ITEMS)))
        chosen: list[int] = []
        weights = [ITEMS[i].weight for i in indexes]
        while len(chosen) < min(size, len(indexes)):
            pick = rng.choices(indexes, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        return [(i, ITEMS[i].weight * rng.uniform(0.5, 1.5)) for i in chosen]

    # --- orders ----------------------------------------------------------------------------------

    def trade(self, buyer: Buyer) -> None:
        """Draft every order of `buyer` from its start to its stop, and how each was paid."""
        month = buyer.start.replace(day=1)
        while month <= buyer.stop:
            season = SEASON[month.month]
            expected = buyer.rate * season
            count = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
            days = sorted(self._day_in(month) for _ in range(count))
            for day in days:
                if buyer.start <= day <= buyer.stop:
                    value = buyer.monthly_value / Decimal(buyer.rate) * Decimal(season ** 0.5)
                    self._order(buyer, day, value * Decimal(self.rng.uniform(0.7, 1.3)))
            month = (month + timedelta(days=32)).replace(day=1)

    def _day_in(self, month: date) -> date:
        following = (month + timedelta(days=32)).replace(day=1)
        return month + timedelta(days=self.rng.randrange((following - month).days))

    def number(self, day: date) -> str:
        """SO + yyyymm + a 6-digit sequence within the month, as order entry numbers them."""
        month = day.replace(day=1)
        seq = self._numbers.get(month, 0) + 1
        self._numbers[month] = seq
        return f"SO{day:%Y%m}{seq:06d}"

    def lines_for(self, buyer: Buyer, day: date, value: Decimal) -> list[OrderLine]:
        rng, card = self.rng, buyer.card
        usable = [(i, w) for i, w in buyer.assortment if self._sells(ITEMS[i], day)]
        if not usable:
            usable = [(1, 1.0)]
        small = card.channel_level in (L.RETAILER, L.END_USER)
        count = min(len(usable), rng.choice((1, 1, 2, 2, 3) if small else (2, 3, 3, 4, 5)))
        picked: list[tuple[int, float]] = []
        while len(picked) < count:
            pair = rng.choices(usable, weights=[w * self._season_boost(ITEMS[i], day) for i, w in usable])[0]
            if pair not in picked:
                picked.append(pair)
        share_total = sum(w for _, w in picked)
        lines = []
        for line_no, (index, weight) in enumerate(picked, start=1):
            item = ITEMS[index]
            price = level_price(Decimal(item.list_price), card.channel_level)
            quantity = max(1, int(value * Decimal(weight / share_total) / price))
            discount = money(price * quantity * Decimal("0.03")) if rng.random() < 0.05 else Decimal("0.00")
            lines.append(OrderLine(
                line_no=line_no, product=self.products[item.sku], spec=item.spec, quantity=Decimal(quantity),
                unit_price=price, discount=discount, amount=money(price * quantity - discount),
            ))
        return lines

    def _sells(self, item: Item, day: date) -> bool:
        if not item.is_active and day > self.today - timedelta(days=300):
            return False
        return item.season != "festival" or day.month in (12, 1, 2)

    @staticmethod
    def _season_boost(item: Item, day: date) -> float:
        return 1.8 if item.season == "summer" and day.month in (6, 7, 8) else 1.0

    def _order(self, buyer: Buyer, day: date, value: Decimal) -> Order:
        card = buyer.card
        lines = self.lines_for(buyer, day, value)
        total = sum((line.amount for line in lines), Decimal("0.00"))
        cancelled = self.rng.random() < 0.01 and day < self.today
        delivered = day <= self.today - timedelta(days=2)
        status = OrderStatus.CANCELLED if cancelled else OrderStatus.DELIVERED if delivered else OrderStatus.CONFIRMED
        order = Order(
            number=self.number(day), customer=card, rep=card.owner, status=status, order_date=day,
            due_date=day + timedelta(days=buyer.terms),
            settlement=Settlement.CREDIT if buyer.on_credit else Settlement.CASH, source=OrderSource.DEMO,
            total=total, paid=Decimal("0.00"), open_amount=Decimal("0.00") if cancelled else total,
            created_by=card.owner, confirmed_at=at_noon(day), created_at=at_noon(day, 9), updated_at=at_noon(day),
            delivered_at=at_noon(day + timedelta(days=1), 15) if delivered and not cancelled else None,
            cancelled_at=at_noon(day, 16) if cancelled else None,
        )
        if cancelled:
            order.note = "客户取消"
        self.ledger.orders.append(order)
        for line in lines:
            line.order = order
        self.ledger.lines.extend(lines)
        if not cancelled:
            self._settle(buyer, order)
        return order

    def renumber(self) -> None:
        """Number every drafted order in date order, so numbers run with time within each month."""
        self._numbers.clear()
        for order in sorted(self.ledger.orders, key=lambda o: (o.order_date, o.created_at, o.customer.pk)):
            order.number = self.number(order.order_date)

    def held_order(self, buyer: Buyer, day: date, value: Decimal) -> tuple[Order, list[OrderLine]]:
        """An order entered `day` that the credit check stopped: not booked, nothing paid."""
        card = buyer.card
        lines = self.lines_for(buyer, day, value)
        order = Order(
            number=self.number(day), customer=card, rep=card.owner, status=OrderStatus.HELD, order_date=day,
            settlement=Settlement.CREDIT, source=OrderSource.DEMO,
            total=sum((line.amount for line in lines), Decimal("0.00")), created_by=card.owner,
            created_at=at_noon(day, 9), updated_at=at_noon(day, 9),
        )
        for line in lines:
            line.order = order
        return order, lines

    # --- money -----------------------------------------------------------------------------------

    def _pay_day(self, buyer: Buyer, order: Order) -> date:
        rng, due = self.rng, order.due_date
        assert due is not None
        if not buyer.on_credit:
            late = {"slow": (0, 3), "late": (2, 20)}.get(buyer.payer, (0, 0))
            return order.order_date + timedelta(days=rng.randint(*late))
        if buyer.payer == "early":
            return order.order_date + timedelta(days=int(buyer.terms * rng.uniform(0.3, 0.8)))
        spread = {"prompt": (-3, 0), "slow": (2, 20), "late": (15, 75)}[buyer.payer]
        return due + timedelta(days=rng.randint(*spread))

    def _settle(self, buyer: Buyer, order: Order) -> None:
        """Payments (and now and then a credit note) for `order`; parts dated after today stay owed."""
        rng, left = self.rng, order.total
        if rng.random() < 0.01:  # breakage or a rebate, agreed a week after delivery
            note = money(order.total * Decimal(rng.uniform(0.02, 0.05)))
            if note > 0:
                self._receive(buyer, order, order.order_date + timedelta(days=7), note, PaymentKind.CREDIT_NOTE)
                left -= note
        day = self._pay_day(buyer, order)
        split = {"late": 0.35, "slow": 0.1}.get(buyer.payer, 0.0)
        if left >= 200 and rng.random() < split:
            first = (left * Decimal(rng.uniform(0.4, 0.8)) / 100).quantize(Decimal(1), rounding=ROUND_DOWN) * 100
            if 0 < first < left:
                self._receive(buyer, order, day, money(first), PaymentKind.PAYMENT)
                left -= first
                day += timedelta(days=rng.randint(15, 45))
        if left > 0:
            self._receive(buyer, order, day, left, PaymentKind.PAYMENT)

    def _receive(self, buyer: Buyer, order: Order, day: date, amount: Decimal, kind: str) -> None:
        if day > self.today:
            return  # not paid yet
        card = buyer.card
        is_note = kind == PaymentKind.CREDIT_NOTE
        payment = Payment(
            customer=card, kind=kind, date=day, amount=amount, unallocated=Decimal("0.00"),
            method=PaymentMethod.OTHER if is_note else self.rng.choice(METHODS[card.channel_level]),
            reference="" if is_note else f"HK{day:%Y%m%d}{len(self.ledger.payments) % 10000:04d}",
            note="破损补偿" if is_note else "",
            received_by=self.finance if is_note else card.owner, created_by=self.finance, created_at=at_noon(day, 16),
        )
        self.ledger.payments.append(payment)
        self.ledger.allocations.append(
            Allocation(payment=payment, order=order, amount=amount, created_by=self.finance, created_at=at_noon(day, 16))
        )
        order.paid += amount
        order.open_amount -= amount

    def advance(self, card: Customer, amount: Decimal, day: date) -> None:
        """Money received before the goods: a prepayment with nothing to allocate yet."""
        self.ledger.payments.append(Payment(
            customer=card, kind=PaymentKind.PAYMENT, date=day, amount=amount, unallocated=amount,
            method=PaymentMethod.TRANSFER, reference=f"YF{day:%Y%m%d}{card.pk % 10000:04d}", note="预付货款",
            received_by=card.owner, created_by=self.finance, created_at=at_noon(day, 11),
        ))
