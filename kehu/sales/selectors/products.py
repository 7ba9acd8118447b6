"""Reads of the product catalogue: the order-entry search and the price a customer pays."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from kehu.customers.search import build_search_text, normalise_query
from kehu.sales.models import Product, ProductPrice


def product_search_text(product: Product) -> str:
    """Name, spec, SKU, full pinyin and initials, lower-case: what the search box matches."""
    return build_search_text(name=product.name, short_name=product.spec, code=product.sku)


def _matching(products: QuerySet[Product], q: str) -> QuerySet[Product]:
    """Every word of `q` in the search text (name, spec, SKU, pinyin, initials) or the exact SKU.
    NUL characters are dropped (PostgreSQL text cannot hold them; nothing contains one)."""
    for word in q.replace("\x00", "").split():
        token = normalise_query(word)
        if token:
            products = products.filter(Q(search_text__contains=token) | Q(sku__iexact=word))
    return products


def product_filter(
    products: QuerySet[Product], *, q: str = "", category: str = "", is_active: bool | None = None
) -> QuerySet[Product]:
    """The product list's and the API's query: search words, category, active or not."""
    products = _matching(products, q)
    if category:
        products = products.filter(category=category)
    if is_active is not None:
        products = products.filter(is_active=is_active)
    return products


def product_search(*, q: str, limit: int = 20, active_only: bool = True) -> list[Product]:
    """Products matching every word of `q` (name, spec, SKU, pinyin, initials); exact SKU first."""
    products = Product.objects.active() if active_only else Product.objects.all()
    found = list(_matching(products, q).order_by("sku")[:limit])
    exact = [p for p in found if p.sku.lower() == q.strip().lower()]
    return exact + [p for p in found if p not in exact]


def product_price(product: Product, channel_level: str) -> Decimal:
    """The price of `product` for a customer at `channel_level`: the level's price list, else the list price."""
    price = (
        ProductPrice.objects.filter(product=product, channel_level=channel_level)
        .values_list("price", flat=True)
        .first()
    )
    return product.list_price if price is None else price


def product_prices(product_ids: list[int], channel_level: str) -> dict[int, Decimal]:
    """`product_price` for many products in one query (order entry, imports)."""
    listed = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "list_price"))
    listed.update(
        ProductPrice.objects.filter(product_id__in=product_ids, channel_level=channel_level).values_list(
            "product_id", "price"
        )
    )
    return listed
