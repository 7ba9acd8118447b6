"""The demo company's catalogue: 清泉饮品's waters, teas, juices, functional and sparkling drinks.

Prices are per case (箱) or per barrel (桶); each channel level buys from its own price list,
a fixed share of the list price rounded to half a yuan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kehu.customers.models import ChannelLevel
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_search_text

L = ChannelLevel


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    spec: str
    pack_size: int
    category: str
    list_price: str
    unit: str = "箱"
    weight: float = 1.0  # how often customers buy it, relative to the others
    season: str = ""  # "summer", "festival" (Spring Festival gift boxes) or all year
    is_active: bool = True


WATER, TEA, JUICE, FUNCTIONAL, SPARKLING, GIFT = "饮用水", "茶饮料", "果汁", "功能饮料", "碳酸与气泡水", "礼盒"

# fmt: off
ITEMS: tuple[Item, ...] = (
    Item("QQ-W01", "清泉天然矿泉水", "350ml×24瓶", 24, WATER, "36.00", weight=3.0),
    Item("QQ-W02", "清泉天然矿泉水", "550ml×24瓶", 24, WATER, "42.00", weight=6.0),
    Item("QQ-W03", "清泉天然矿泉水", "1.5L×12瓶", 12, WATER, "45.00", weight=2.0),
    Item("QQ-W04", "清泉天然矿泉水", "5L×4桶", 4, WATER, "38.00", weight=1.2),
    Item("QQ-W05", "清泉纯净水", "550ml×24瓶", 24, WATER, "30.00", weight=5.0),
    Item("QQ-W06", "清泉纯净水", "1.5L×12瓶", 12, WATER, "33.00", weight=1.5),
    Item("QQ-W07", "清泉山泉水", "18.9L桶装", 1, WATER, "22.00", unit="桶", weight=1.5),
    Item("QQ-W08", "清泉苏打水 无糖", "400ml×24瓶", 24, WATER, "72.00", weight=1.0),
    Item("QQ-T01", "清泉冰红茶", "500ml×15瓶", 15, TEA, "45.00", weight=3.0, season="summer"),
    Item("QQ-T02", "清泉绿茶 蜂蜜茉莉味", "500ml×15瓶", 15, TEA, "45.00", weight=2.5, season="summer"),
    Item("QQ-T03", "清泉乌龙茶 无糖", "500ml×15瓶", 15, TEA, "60.00", weight=1.5),
    Item("QQ-T04", "清泉柠檬茶", "250ml×24盒", 24, TEA, "48.00", weight=1.5, season="summer"),
    Item("QQ-T05", "清泉大麦茶 无糖", "1L×12瓶", 12, TEA, "66.00", weight=0.8),
    Item("QQ-T06", "清泉菊花茶", "310ml×24罐", 24, TEA, "52.00", weight=0.6, is_active=False),
    Item("QQ-J01", "清泉橙汁", "450ml×15瓶", 15, JUICE, "54.00", weight=2.0),
    Item("QQ-J02", "清泉苹果汁", "450ml×15瓶", 15, JUICE, "54.00", weight=1.2),
    Item("QQ-J03", "清泉芒果汁", "1L×12瓶", 12, JUICE, "84.00", weight=1.0, season="festival"),
    Item("QQ-J04", "清泉NFC橙汁", "300ml×12瓶", 12, JUICE, "120.00", weight=0.5),
    Item("QQ-J05", "清泉椰子水", "330ml×24瓶", 24, JUICE, "96.00", weight=0.8, season="summer"),
    Item("QQ-F01", "清泉维能运动饮料", "600ml×15瓶", 15, FUNCTIONAL, "60.00", weight=1.8, season="summer"),
    Item("QQ-F02", "清泉能量 牛磺酸饮料", "250ml×24罐", 24, FUNCTIONAL, "96.00", weight=1.2),
    Item("QQ-F03", "清泉电解质水", "500ml×15瓶", 15, FUNCTIONAL, "66.00", weight=1.5, season="summer"),
    Item("QQ-S01", "清泉气泡水 白桃味", "480ml×15瓶", 15, SPARKLING, "66.00", weight=1.5, season="summer"),
    Item("QQ-S02", "清泉气泡水 青柠味", "480ml×15瓶", 15, SPARKLING, "66.00", weight=1.0, season="summer"),
    Item("QQ-S03", "清泉可乐", "330ml×24罐", 24, SPARKLING, "52.00", weight=1.2),
    Item("QQ-G01", "清泉矿泉水 新春礼盒", "550ml×12瓶", 12, GIFT, "58.00", weight=1.0, season="festival"),
    Item("QQ-G02", "清泉果汁 新春礼盒", "1L×6瓶", 6, GIFT, "88.00", weight=0.8, season="festival"),
)
# fmt: on

# Each level's price list as a share of the list price; end users buy at the list price.
PRICE_SHARE = {
    L.DISTRIBUTOR: Decimal("0.72"),
    L.WHOLESALER: Decimal("0.80"),
    L.SUB_WHOLESALER: Decimal("0.86"),
    L.RETAILER: Decimal("0.92"),
}


def level_price(list_price: Decimal, level: str) -> Decimal:
    share = PRICE_SHARE.get(level)
    if share is None:
        return list_price
    halves = (list_price * share * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (halves / 2).quantize(Decimal("0.01"))


def catalogue_create() -> list[Product]:
    """Insert the products (skipping SKUs already there) and their channel price lists."""
    taken = set(Product.objects.filter(sku__in=[i.sku for i in ITEMS]).values_list("sku", flat=True))
    products = []
    for item in ITEMS:
        if item.sku in taken:
            continue
        product = Product(
            sku=item.sku, name=item.name, spec=item.spec, unit=item.unit, pack_size=item.pack_size,
            category=item.category, list_price=Decimal(item.list_price), is_active=item.is_active,
        )
        product.search_text = product_search_text(product)
        products.append(product)
    Product.objects.bulk_create(products)
    ProductPrice.objects.bulk_create(
        ProductPrice(product=p, channel_level=level, price=level_price(p.list_price, level))
        for p in products
        for level in PRICE_SHARE
    )
    return list(Product.objects.filter(sku__in=[i.sku for i in ITEMS]).order_by("sku"))
