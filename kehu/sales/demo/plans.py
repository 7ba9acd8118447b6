"""Monthly plans (销售计划) for last, this and next month: targets a little above each customer's
usual buying, support for the better customers, and the approval states a real month shows
(last month approved, this month mostly approved, next month still being drafted and submitted).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from kehu.accounts.models import User
from kehu.sales.demo.catalogue import ITEMS, level_price
from kehu.sales.demo.history import SEASON, Buyer, at_noon, money
from kehu.sales.models import PlanLine, PlanStatus, PlanSupport, Product, SalesPlan, SupportKind

S = PlanStatus
# Status shares for last month, this month and next month.
STATUS_MIX = (
    {S.APPROVED: 0.92, S.DRAFT: 0.08},
    {S.APPROVED: 0.6, S.SUBMITTED: 0.25, S.RETURNED: 0.05, S.DRAFT: 0.1},
    {S.DRAFT: 0.55, S.SUBMITTED: 0.35, S.APPROVED: 0.1},
)
SUPPORTS = {
    SupportKind.PROMOTION: ("夏季买十送一促销", "新品试饮促销", "节日堆头促销"),
    SupportKind.DISPLAY: ("端架陈列费", "冰柜投放", "门头广告"),
    SupportKind.TRAINING: ("店员产品培训",),
    SupportKind.DELIVERY: ("专车配送", "夜间卸货补贴"),
}
SUPPORTS_BY_TIER = {"A": (1, 3), "B": (0, 2), "C": (0, 1)}
RETURN_NOTES = ("目标偏低，请按去年同期上调", "请补充陈列支持的费用明细")


def month_shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class PlanDrafter:
    def __init__(self, rng: random.Random, today: date, now: datetime, products: dict[str, Product]) -> None:
        self.rng, self.now, self.products = rng, now, products
        this_month = today.replace(day=1)
        self.months = [month_shift(this_month, n) for n in (-1, 0, 1)]
        self.plans: list[SalesPlan] = []
        self.lines: list[PlanLine] = []
        self.supports: list[PlanSupport] = []

    def plan_all(self, buyer: Buyer, manager: User | None) -> None:
        for mix, month in zip(STATUS_MIX, self.months, strict=True):
            self._plan(buyer, month, mix, manager)

    def _clamp(self, moment: datetime) -> datetime:
        return min(moment, self.now)

    def _plan(self, buyer: Buyer, month: date, mix: dict[str, float], manager: User | None) -> None:
        rng, card = self.rng, buyer.card
        status = rng.choices(list(mix), weights=list(mix.values()))[0]
        created = self._clamp(at_noon(month - timedelta(days=rng.randint(6, 12)), 9))
        plan = SalesPlan(
            customer=card, month=month, status=status, created_by=card.owner, created_at=created, updated_at=created,
        )
        if status != S.DRAFT:
            plan.submitted_at = self._clamp(created + timedelta(days=rng.randint(1, 3)))
        if status in (S.APPROVED, S.RETURNED):
            plan.decided_by = manager
            plan.decided_at = self._clamp(plan.submitted_at + timedelta(days=rng.randint(0, 2), hours=3))
            plan.decision_note = rng.choice(RETURN_NOTES) if status == S.RETURNED else ""
        growth = Decimal(rng.uniform(1.0, 1.15))
        target = buyer.monthly_value * Decimal(SEASON[month.month]) * growth
        top = sorted(buyer.assortment, key=lambda pair: -pair[1])[: rng.randint(2, 4)]
        weights = sum(w for _, w in top)
        for index, weight in top:
            item = ITEMS[index]
            if not item.is_active:
                continue
            price = level_price(Decimal(item.list_price), card.channel_level)
            quantity = max(1, int(target * Decimal(weight / weights) / price / 5) * 5)
            plan.total_quantity += quantity
            line = PlanLine(plan=plan, product=self.products[item.sku], quantity=Decimal(quantity),
                            amount=money(price * quantity), schedule=self._schedule(quantity, item.unit))
            plan.total_amount += line.amount
            self.lines.append(line)
        low, high = SUPPORTS_BY_TIER.get(card.tier, (0, 0))
        for _ in range(rng.randint(low, high)):
            kind = rng.choice(list(SUPPORTS))
            cost = money(max(Decimal(200), target * Decimal(rng.uniform(0.01, 0.03))) // 100 * 100)
            self.supports.append(PlanSupport(plan=plan, kind=kind, description=rng.choice(SUPPORTS[kind]), cost=cost))
            plan.support_cost += cost
        self.plans.append(plan)

    def _schedule(self, quantity: int, unit: str) -> str:
        if quantity < 20:
            return ""
        first = quantity // 2
        return f"上旬 {first} {unit}，下旬 {quantity - first} {unit}"
