"""`kehu demo` runs the registered demo steps (the sales step) after the cards, in one transaction."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from kehu.sales.models import BOOKED, Order, SalesPlan

pytestmark = pytest.mark.django_db


def test_kehu_demo_runs_the_sales_step_after_the_cards() -> None:
    out = StringIO()
    call_command("demo", customers=60, seed=3, stdout=out)
    assert "kehu.sales.demo.hook: credit suggestions" in out.getvalue()
    assert Order.objects.filter(status__in=BOOKED).exists() and SalesPlan.objects.exists()
