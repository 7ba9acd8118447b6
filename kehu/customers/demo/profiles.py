"""What a card looks like at each channel level: tiers, statuses, credit, hours, business profile.

`richness` (0–1) is how diligently the card was kept: each optional field is filled with that
probability, so completeness scores spread from nearly empty to full.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from kehu.customers.models import ChannelLevel, Customer, CustomerStatus, PaymentHabit

L = ChannelLevel
S = CustomerStatus
P = PaymentHabit


@dataclass(frozen=True)
class LevelProfile:
    tiers: dict[str, float]
    statuses: dict[str, float]
    credit_limit: tuple[int, int, int]  # low, high, step (yuan)
    terms: tuple[int, ...]
    habits: tuple[str, ...]
    opens: tuple[time, ...]
    closes: tuple[time, ...]
    store_area: tuple[int, int]
    employees: tuple[int, int]
    revenue: tuple[int, int]  # in ten-thousand yuan (万元)
    order_size: tuple[int, int, int]
    industry: str


PROFILES: dict[str, LevelProfile] = {
    L.DISTRIBUTOR: LevelProfile(
        tiers={"A": 0.6, "B": 0.4},
        statuses={S.ACTIVE: 0.95, S.DORMANT: 0.05},
        credit_limit=(300_000, 1_500_000, 50_000),
        terms=(30, 45, 60),
        habits=(P.ON_TERMS, P.MONTHLY),
        opens=(time(8, 30), time(9, 0)),
        closes=(time(17, 30), time(18, 0)),
        store_area=(300, 3000),
        employees=(12, 80),
        revenue=(2000, 15_000),
        order_size=(50_000, 300_000, 10_000),
        industry="食品饮料批发",
    ),
    L.WHOLESALER: LevelProfile(
        tiers={"A": 0.2, "B": 0.45, "C": 0.3, "D": 0.05},
        statuses={S.ACTIVE: 0.75, S.DORMANT: 0.1, S.PROSPECT: 0.08, S.LOST: 0.04, S.POTENTIAL: 0.03},
        credit_limit=(20_000, 200_000, 5000),
        terms=(7, 15, 30),
        habits=(P.WEEKLY, P.MONTHLY, P.ON_TERMS),
        opens=(time(6, 0), time(6, 30), time(7, 0)),
        closes=(time(17, 0), time(18, 0), time(19, 0)),
        store_area=(150, 1500),
        employees=(4, 20),
        revenue=(300, 3000),
        order_size=(5000, 60_000, 1000),
        industry="食品饮料批发",
    ),
    L.SUB_WHOLESALER: LevelProfile(
        tiers={"A": 0.05, "B": 0.35, "C": 0.45, "D": 0.15},
        statuses={S.ACTIVE: 0.7, S.DORMANT: 0.12, S.PROSPECT: 0.08, S.LOST: 0.05, S.POTENTIAL: 0.05},
        credit_limit=(5000, 50_000, 1000),
        terms=(7, 15),
        habits=(P.CASH_ON_DELIVERY, P.WEEKLY, P.MONTHLY),
        opens=(time(6, 30), time(7, 0)),
        closes=(time(18, 0), time(19, 0), time(20, 0)),
        store_area=(60, 600),
        employees=(2, 8),
        revenue=(80, 800),
        order_size=(2000, 20_000, 500),
        industry="食品饮料批发",
    ),
    L.RETAILER: LevelProfile(
        tiers={"A": 0.03, "B": 0.17, "C": 0.5, "D": 0.3},
        statuses={S.ACTIVE: 0.58, S.DORMANT: 0.1, S.LOST: 0.05, S.PROSPECT: 0.12, S.POTENTIAL: 0.15},
        credit_limit=(1000, 8000, 500),
        terms=(0, 0, 7),
        habits=(P.CASH_ON_DELIVERY, P.CASH_ON_DELIVERY, P.PREPAID, P.WEEKLY),
        opens=(time(7, 0), time(7, 30), time(8, 0), time(8, 30)),
        closes=(time(21, 0), time(22, 0), time(23, 0)),
        store_area=(15, 300),
        employees=(1, 6),
        revenue=(20, 300),
        order_size=(300, 5000, 100),
        industry="便利零售",
    ),
    L.END_USER: LevelProfile(
        tiers={"B": 0.3, "C": 0.5, "D": 0.2},
        statuses={S.ACTIVE: 0.6, S.PROSPECT: 0.2, S.POTENTIAL: 0.2},
        credit_limit=(0, 20_000, 1000),
        terms=(0, 30),
        habits=(P.MONTHLY, P.PREPAID),
        opens=(time(9, 0), time(10, 0)),
        closes=(time(21, 0), time(22, 0)),
        store_area=(100, 2000),
        employees=(10, 200),
        revenue=(100, 5000),
        order_size=(1000, 20_000, 500),
        industry="餐饮",
    ),
}

OUR_PRODUCTS = tuple("清泉矿泉水 清泉山泉水 清泉茶饮 清泉果汁".split())
# fmt: off
OTHER_BRANDS = tuple((
    "农夫山泉 怡宝 康师傅 统一 可口可乐 百事可乐 王老吉 加多宝 元气森林 娃哈哈 "
    "东鹏特饮 红牛 脉动 冰露 雪碧 北冰洋"
).split())
COMPETITOR_PRODUCTS = tuple((
    "农夫山泉饮用天然水 怡宝纯净水 元气森林气泡水 康师傅冰红茶 统一绿茶 "
    "娃哈哈纯净水 百岁山矿泉水 东方树叶 冰露纯净水"
).split())
DELIVERY = tuple("上午10点前送货 下午送货 客户自提 夜间卸货（21点后） 电话预约送货 公司车队配送".split())
NOTES = (
    "老板周末一般不在店里，找老板娘。", "门口可停车，卸货方便。", "每月初结上月货款。",
    "对价格比较敏感，注意促销政策。", "有意向增加冰柜。", "附近有学校，夏季销量大。",
    "店铺在小区内，送货车辆需登记。", "仓库在后院，需提前电话联系。", "春节前备货量大，提前两周沟通。",
)
# fmt: on
INACTIVE = {S.POTENTIAL, S.PROSPECT}


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _money(rng: random.Random, low: int, high: int, step: int) -> Decimal:
    return Decimal(rng.randrange(low, high + 1, step) if step else low).quantize(Decimal("0.01"))


def richness_for(rng: random.Random, level: str) -> float:
    if level == L.DISTRIBUTOR:
        return rng.uniform(0.8, 1.0)
    if level == L.WHOLESALER:
        return rng.uniform(0.5, 1.0)
    roll = rng.random()
    if roll < 0.12:
        return rng.uniform(0.0, 0.15)  # a card barely started
    if roll < 0.32:
        return 1.0  # a card kept with care
    return rng.uniform(0.3, 0.9)


def apply_standing(rng: random.Random, card: Customer) -> None:
    """Status, tier, key flag and credit terms, consistent with one another."""
    profile = PROFILES[card.channel_level]
    card.status = weighted(rng, profile.statuses)
    card.tier = weighted(rng, profile.tiers)
    if card.status in INACTIVE and card.tier in ("A", "B"):
        card.tier = rng.choice(("C", "D"))
    card.is_key = rng.random() < {"A": 0.7, "B": 0.1}.get(card.tier, 0.01)
    if card.status in INACTIVE:
        return
    card.credit_rating = card.tier if rng.random() < 0.7 else rng.choice("ABCD")
    low, high, step = profile.credit_limit
    if card.channel_level == L.RETAILER and card.tier in ("C", "D"):
        card.credit_limit = Decimal("0.00")
    else:
        card.credit_limit = _money(rng, low, high, step)
    card.payment_terms_days = rng.choice(profile.terms) if card.credit_limit else 0


def apply_profile(rng: random.Random, card: Customer, richness: float, catering: bool) -> None:
    """Business profile and trading habits, each filled with probability `richness`."""
    profile = PROFILES[card.channel_level]

    def has() -> bool:
        return rng.random() < richness

    if has():
        card.industry = "餐饮" if catering else profile.industry
    if has():
        card.opens_at = time(10, 0) if catering else rng.choice(profile.opens)
        card.closes_at = rng.choice(profile.closes)
    if has():
        card.store_area = Decimal(rng.randint(*profile.store_area)).quantize(Decimal("0.1"))
    if has():
        card.employees = rng.randint(*profile.employees)
    if has():
        card.annual_revenue = Decimal(rng.randint(*profile.revenue) * 10_000).quantize(Decimal("0.01"))
    if has():
        ours = rng.sample(OUR_PRODUCTS, rng.randint(1, 2)) if card.status not in INACTIVE else []
        card.brands_carried = "、".join(ours + rng.sample(OTHER_BRANDS, rng.randint(2, 4)))
    if has():
        card.competitor_products = "、".join(rng.sample(COMPETITOR_PRODUCTS, rng.randint(1, 3)))
    if has():
        card.usual_order_day = rng.randint(1, 6)
    if has():
        card.usual_order_size = _money(rng, *profile.order_size)
    if has():
        card.preferred_delivery = rng.choice(DELIVERY)
    if has():
        card.payment_habit = rng.choice(profile.habits)
    if rng.random() < richness * 0.4:
        card.notes = rng.choice(NOTES)
    if rng.random() < 0.12:
        card.visit_frequency_days = rng.choice((7, 14, 30))
