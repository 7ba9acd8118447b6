"""Test helpers for field work: rows written straight to the models (services are what is tested)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kehu.customers.models import Customer, GeoPrecision
from kehu.field.models import Visit

# A few real places in Beijing (WGS-84), for positions that make sense on a map.
BEIJING = {
    "tiananmen": (39.908722, 116.397499),
    "haidian": (39.959912, 116.298056),
    "chaoyang": (39.921489, 116.443108),
    "fengtai": (39.858427, 116.286964),
    "dongcheng": (39.928353, 116.416357),
}


def place(customer: Customer, lat: float, lng: float) -> Customer:
    """Give a card an exact position."""
    Customer.objects.filter(pk=customer.pk).update(
        lat=Decimal(f"{lat:.6f}"), lng=Decimal(f"{lng:.6f}"), geo_precision=GeoPrecision.EXACT
    )
    customer.refresh_from_db()
    return customer


def make_visit(customer: Customer, rep: Any, day: date | None = None, **fields: Any) -> Visit:
    return Visit.objects.create(customer=customer, rep=rep, planned_on=day or timezone.localdate(), **fields)
