"""The benchmark's product catalogue: about 200 SKUs of a food and drinks distributor, priced per channel level."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from kehu.customers.models import ChannelLevel
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_search_text

SKU_PREFIX = "BS-"

# Category, unit, (lowest, highest) list price in yuan, brands, items, specs.
CATEGORIES: list[tuple[str, str, tuple[int, int], list[str], list[str], list[str]]] = [
    ("白酒", "箱", (180, 2400), ["金福", "老窖", "汾香", "洋河湾", "古井坊"], ["特曲", "头曲", "窖藏", "陈酿", "大曲", "珍品"],
     ["500ml×6", "250ml×12", "450ml×6"]),
    ("啤酒", "箱", (36, 120), ["雪峰", "青岛湾", "燕山", "珠江口"], ["纯生", "清爽", "原浆", "冰醇", "黑啤"],
     ["500ml×12", "330ml×24", "1L×6"]),
    ("饮料", "箱", (24, 96), ["康旺", "统达", "农泉", "椰乡", "王老吉祥"], ["绿茶", "冰红茶", "橙汁", "椰汁", "凉茶", "苏打水"],
     ["500ml×15", "310ml×24", "1.5L×6"]),
    ("乳品", "箱", (40, 150), ["蒙原", "伊乡", "光明湖", "君乐"], ["纯牛奶", "酸奶", "早餐奶", "核桃奶"],
     ["250ml×16", "200g×12", "1L×12"]),
    ("调味品", "箱", (30, 220), ["海天然", "李锦堂", "厨邦家", "太太香"], ["生抽", "老抽", "蚝油", "陈醋", "料酒", "鸡精"],
     ["500ml×12", "1.9L×6", "200g×20"]),
    ("休闲食品", "箱", (45, 260), ["旺来", "洽洽乐", "良品屋", "三只鼠"], ["瓜子", "薯片", "饼干", "坚果", "辣条"],
     ["100g×30", "260g×20", "1kg×10"]),
    ("粮油", "袋", (55, 320), ["金龙湾", "福临", "鲁花园", "五常田"], ["大米", "花生油", "菜籽油", "面粉"],
     ["5kg", "10kg", "5L×4"]),
]
# Channel price as a share of the list price (the list price is the end user's).
LEVEL_SHARE = {
    ChannelLevel.DISTRIBUTOR: Decimal("0.72"),
    ChannelLevel.WHOLESALER: Decimal("0.80"),
    ChannelLevel.SUB_WHOLESALER: Decimal("0.87"),
    ChannelLevel.RETAILER: Decimal("0.94"),
    ChannelLevel.END_USER: Decimal("1.00"),
}


@dataclass(frozen=True)
class CatalogueItem:
    id: int
    spec: str
    prices: dict[str, int]  # channel level -> price in cents


def catalogue_ensure(*, size: int = 200, seed: int = 2026) -> list[CatalogueItem]:
    """The bench products (created on the first run, reused after), ordered by popularity: most sold first."""
    existing = list(Product.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku"))
    if not existing:
        existing = _create(size, random.Random(seed))
    prices: dict[int, dict[str, int]] = {p.pk: {} for p in existing}
    for product_id, level, price in ProductPrice.objects.filter(product__in=existing).values_list(
        "product_id", "channel_level", "price"
    ):
        prices[product_id][level] = int(price * 100)
    out = []
    for product in existing:
        per_level = prices[product.pk]
        for level in LEVEL_SHARE:
            per_level.setdefault(level, int(product.list_price * 100))
        out.append(CatalogueItem(product.pk, product.spec, per_level))
    return out


def _create(size: int, rng: random.Random) -> list[Product]:
    products = []
    for n in range(size):
        category, unit, (low, high), brands, items, specs = CATEGORIES[n % len(CATEGORIES)]
        brand, item = brands[(n // len(CATEGORIES)) % len(brands)], items[n % len(items)]
        product = Product(
            sku=f"{SKU_PREFIX}{n + 1:04d}",
            name=f"{brand}{item}",
            spec=specs[(n // 3) % len(specs)],
            unit=unit,
            pack_size=1,
            category=category,
            list_price=Decimal(rng.randrange(low * 100, high * 100)) / 100,
        )
        product.search_text = product_search_text(product)
        products.append(product)
    created = Product.objects.bulk_create(products)
    if created and created[0].pk is None:  # a backend that does not return ids
        created = list(Product.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku"))
    ProductPrice.objects.bulk_create(
        ProductPrice(product=p, channel_level=level, price=(p.list_price * share).quantize(Decimal("0.01")))
        for p in created
        for level, share in LEVEL_SHARE.items()
    )
    return created
