"""Merging cards with sales: summaries folded, plan clashes refused, open suggestion dismissed, orders moved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kehu.customers.merge_hooks import merge_hooks
from kehu.customers.models import Customer
from kehu.customers.services import customer_merge
from kehu.sales.merge import sales_merge
from kehu.sales.models import (
    CreditSuggestion,
    CustomerMonth,
    Order,
    SalesMonth,
    SalesPlan,
    SuggestionStatus,
)
from kehu.sales.selectors.credit import credit_assess
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, errors_of, make_customer

pytestmark = pytest.mark.django_db

D = Decimal
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


def merge(w: World, survivor: Customer, merged: Customer) -> Customer:
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return customer_merge(w.cathy, survivor=survivor, merged=merged, choices={},
                          survivor_version=survivor.version, merged_version=merged.version)


@pytest.fixture
def twin(world: World) -> Customer:
    return make_customer("北京海淀区单氏副食店（重复）", world.alice, world.beijing)


def test_the_hook_is_registered_with_the_merge() -> None:
    assert sales_merge in merge_hooks()


def test_monthly_summaries_fold_into_the_survivors(world: World, twin: Customer) -> None:
    w = world
    beer, water = make_product("B1", "啤酒", "3.00"), make_product("W1", "水", "1.00")
    make_booked_order(w.alice_card, [(beer, 10, "3.00")], order_date=date(2026, 11, 5))
    make_booked_order(twin, [(beer, 5, "3.00"), (water, 2, "1.00")], order_date=date(2026, 11, 9))
    make_booked_order(twin, [(beer, 1, "3.00")], order_date=date(2026, 12, 2))
    CustomerMonth.objects.filter(customer=twin, month=NOV).update(collected=D("7.50"))

    merge(w, w.alice_card, twin)

    assert not SalesMonth.objects.filter(customer=twin).exists()
    assert not CustomerMonth.objects.filter(customer=twin).exists()
    sales = {(r.product_id, r.month): (r.quantity, r.amount) for r in SalesMonth.objects.filter(customer=w.alice_card)}
    assert sales == {
        (beer.pk, NOV): (D("15.000"), D("45.00")),
        (water.pk, NOV): (D("2.000"), D("2.00")),
        (beer.pk, DEC): (D("1.000"), D("3.00")),
    }
    months = {r.month: (r.sales, r.orders, r.collected) for r in CustomerMonth.objects.filter(customer=w.alice_card)}
    assert months == {NOV: (D("47.00"), 2, D("7.50")), DEC: (D("3.00"), 1, D("0.00"))}
    assert Order.objects.filter(customer=w.alice_card).count() == 3
    # The survivor's exposure now includes what the merged card owed.
    assert credit_assess(w.alice_card).open_orders == D("50.00")


def test_two_plans_for_the_same_month_are_refused_naming_the_month(world: World, twin: Customer) -> None:
    w = world
    for month in (NOV, DEC):
        SalesPlan.objects.create(customer=w.alice_card, month=month)
    SalesPlan.objects.create(customer=twin, month=DEC)
    SalesPlan.objects.create(customer=twin, month=date(2027, 1, 1))
    errors = errors_of(merge, w=w, survivor=w.alice_card, merged=twin)
    assert errors == {"merged": [
        "Both cards have a sales plan for 2026-12; merge or delete one of each pair of plans before merging the cards."
    ]}
    twin.refresh_from_db()
    assert twin.merged_into is None and SalesPlan.objects.filter(customer=twin).count() == 2


def test_plans_of_different_months_move(world: World, twin: Customer) -> None:
    SalesPlan.objects.create(customer=world.alice_card, month=NOV)
    SalesPlan.objects.create(customer=twin, month=DEC)
    merge(world, world.alice_card, twin)
    assert SalesPlan.objects.filter(customer=world.alice_card).count() == 2


def test_the_merged_cards_open_suggestion_is_dismissed(world: World, twin: Customer) -> None:
    w = world
    kept = CreditSuggestion.objects.create(customer=w.alice_card, current_limit=D("0"), suggested_limit=D("10"))
    gone = CreditSuggestion.objects.create(customer=twin, current_limit=D("0"), suggested_limit=D("20"))
    merge(w, w.alice_card, twin)
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.customer_id, gone.status) == (w.alice_card.pk, SuggestionStatus.DISMISSED)
    assert gone.decided_at is not None
    assert kept.status == SuggestionStatus.OPEN
