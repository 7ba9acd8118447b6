"""Completeness score (0–100): weighted share of the card's fields that are filled.

Weights come from settings.KEHU_COMPLETENESS_WEIGHTS (overridable per deployment) and each custom
field's own weight. The score is stored on the card, indexed, and recomputed on every write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from kehu.customers.models import Contact, Customer, CustomField

DEFAULT_WEIGHTS: dict[str, int] = {
    "short_name": 1, "industry": 1, "phone": 3, "address": 3, "district": 2, "position": 2,
    "credit_code": 2, "owner": 2, "credit_rating": 1, "opening_hours": 1, "store_area": 1,
    "employees": 1, "annual_revenue": 1, "brands_carried": 1, "competitor_products": 1,
    "usual_order_day": 1, "usual_order_size": 1, "preferred_delivery": 1, "payment_habit": 1,
    "contact": 3, "contact_mobile": 2,
}


def weights() -> dict[str, int]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "KEHU_COMPLETENESS_WEIGHTS", {})}


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def card_checks(customer: Customer, contacts: Iterable[Contact]) -> dict[str, bool]:
    people = list(contacts)
    return {
        "short_name": _filled(customer.short_name),
        "industry": _filled(customer.industry),
        "phone": _filled(customer.phone),
        "address": _filled(customer.address) or _filled(customer.street),
        "district": _filled(customer.district),
        "position": customer.lat is not None and customer.lng is not None,
        "credit_code": _filled(customer.credit_code) or customer.kind == "individual",
        "owner": customer.owner_id is not None,
        "credit_rating": _filled(customer.credit_rating),
        "opening_hours": customer.opens_at is not None and customer.closes_at is not None,
        "store_area": _filled(customer.store_area),
        "employees": _filled(customer.employees),
        "annual_revenue": _filled(customer.annual_revenue),
        "brands_carried": _filled(customer.brands_carried),
        "competitor_products": _filled(customer.competitor_products),
        "usual_order_day": _filled(customer.usual_order_day),
        "usual_order_size": _filled(customer.usual_order_size),
        "preferred_delivery": _filled(customer.preferred_delivery),
        "payment_habit": _filled(customer.payment_habit),
        "contact": bool(people),
        "contact_mobile": any(_filled(c.mobile) for c in people),
    }


def completeness_score(
    customer: Customer, contacts: Iterable[Contact], custom_fields: Iterable[CustomField]
) -> int:
    table = weights()
    checks = card_checks(customer, contacts)
    total = sum(table.get(name, 0) for name in checks)
    earned = sum(table.get(name, 0) for name, ok in checks.items() if ok)
    for field in custom_fields:
        total += field.weight
        earned += field.weight if _filled(customer.custom.get(field.key)) else 0
    return round(100 * earned / total) if total else 100


def missing_items(customer: Customer, contacts: Iterable[Contact]) -> list[str]:
    """Names of the weighted checks that fail, heaviest first (shown on the card as hints)."""
    table = weights()
    failed = [name for name, ok in card_checks(customer, contacts).items() if not ok]
    return sorted(failed, key=lambda name: -table.get(name, 0))
