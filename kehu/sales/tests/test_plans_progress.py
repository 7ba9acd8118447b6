"""Progress against plan: exact figures per customer, rep, org unit, product, line and month, the elapsed share
on fixed dates, the behind-plan flag, scoping to the asking user, and a fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kehu.sales.selectors.plan_progress import elapsed_days, plan_progress, plan_progress_cumulative, share_percent
from kehu.sales.selectors.plans import customer_plan_months
from kehu.sales.services.plans import plan_save
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, make_customer

pytestmark = pytest.mark.django_db
NOV, OCT = date(2026, 11, 1), date(2026, 10, 1)
MID_NOV = date(2026, 11, 15)  # day 15 of 30: half the month gone


class Shop:
    def __init__(self, world: World) -> None:
        self.w = world
        self.beer = make_product("B-500", "啤酒", "100.00")
        self.water = make_product("W-550", "矿泉水", "10.00")
        self.dan_card = make_customer("单家小卖部", world.alice, world.beijing)
        plan_save(actor=world.alice, customer=world.alice_card, month=NOV, supports=[],
                  lines=[(self.beer.pk, 30, "3000.00", ""), (self.water.pk, 100, "1000.00", "")])
        plan_save(actor=world.alice, customer=world.alice_card, month=OCT, supports=[],
                  lines=[(self.beer.pk, 10, "1000.00", "")])
        plan_save(actor=world.bob, customer=world.bob_card, month=NOV, supports=[], lines=[(self.beer.pk, 20, "2000.00", "")])
        plan_save(actor=world.carol, customer=world.carol_card, month=NOV, supports=[], lines=[(self.water.pk, 60, "600.00", "")])
        make_booked_order(world.alice_card, [(self.beer, 12, "100.00")], order_date=date(2026, 11, 3))
        make_booked_order(world.alice_card, [(self.beer, 8, "100.00")], order_date=date(2026, 10, 9))
        make_booked_order(world.bob_card, [(self.beer, 15, "100.00")], order_date=date(2026, 11, 10))
        make_booked_order(self.dan_card, [(self.water, 50, "10.00")], order_date=date(2026, 11, 11))
        make_booked_order(world.carol_card, [(self.water, 1, "10.00")], order_date=date(2026, 12, 1))  # next month


@pytest.fixture
def shop(world: World) -> Shop:
    return Shop(world)


def figures(report: Any) -> list[tuple[Any, ...]]:
    return [(r.label, r.planned_amount, r.expected_amount, r.actual_amount, r.attainment, r.is_behind) for r in report.rows]


def test_elapsed_share_on_fixed_dates() -> None:
    assert elapsed_days(NOV, NOV, MID_NOV) == (15, 30)
    assert share_percent(15, 30) == Decimal("50.0")
    assert elapsed_days(NOV, NOV, date(2026, 10, 31)) == (0, 30)
    assert elapsed_days(NOV, NOV, date(2027, 1, 3)) == (30, 30)
    assert elapsed_days(date(2028, 2, 1), date(2028, 2, 1), date(2028, 2, 10)) == (10, 29)
    assert share_percent(10, 31) == Decimal("32.3")
    assert elapsed_days(date(2026, 1, 1), NOV, MID_NOV) == (319, 334)


def test_month_by_customer_mid_month(shop: Shop, world: World) -> None:
    report = plan_progress(user=world.dora, month=NOV, group_by="customer", today=MID_NOV)
    assert report.elapsed_share == Decimal("50.0")
    assert figures(report) == [
        ("北京海淀区单氏副食店", Decimal("4000.00"), Decimal("2000.00"), Decimal("1200.00"), Decimal("30.0"), True),
        ("朝阳区百货批发部", Decimal("2000.00"), Decimal("1000.00"), Decimal("1500.00"), Decimal("75.0"), False),
        ("天津河西区便利店", Decimal("600.00"), Decimal("300.00"), Decimal("0.00"), Decimal("0.0"), True),
        ("单家小卖部", Decimal("0.00"), Decimal("0.00"), Decimal("500.00"), None, False),
    ]
    assert (report.count, report.behind_count) == (4, 2)
    totals = report.totals
    assert (totals.planned_amount, totals.expected_amount, totals.actual_amount, totals.attainment, totals.is_behind) == (
        Decimal("6600.00"), Decimal("3300.00"), Decimal("3200.00"), Decimal("48.5"), True)
    assert report.rows[0].detail == world.alice_card.code
    behind = plan_progress(user=world.dora, month=NOV, group_by="customer", behind_only=True, today=MID_NOV)
    assert [r.label for r in behind.rows] == ["北京海淀区单氏副食店", "天津河西区便利店"]
    assert behind.count == 4 and behind.totals.actual_amount == Decimal("3200.00")


def test_the_flag_follows_the_calendar(shop: Shop, world: World) -> None:
    early = plan_progress(user=world.dora, month=NOV, group_by="customer", today=date(2026, 11, 3))
    assert [r.is_behind for r in early.rows] == [False, False, True, False]  # 4000 × 3/30 = 400 ≤ 1200
    over = plan_progress(user=world.dora, month=NOV, group_by="customer", today=date(2026, 12, 2))
    assert over.elapsed_share == Decimal("100.0")
    assert [r.is_behind for r in over.rows] == [True, True, True, False]
    before = plan_progress(user=world.dora, month=NOV, group_by="customer", today=date(2026, 10, 20))
    assert before.behind_count == 0 and before.totals.expected_amount == Decimal("0.00")


def test_by_rep_org_unit_product_and_line(shop: Shop, world: World) -> None:
    by_rep = plan_progress(user=world.dora, month=NOV, group_by="rep", today=MID_NOV)
    assert figures(by_rep) == [
        ("Alice 艾丽", Decimal("4000.00"), Decimal("2000.00"), Decimal("1700.00"), Decimal("42.5"), True),
        ("Bob 鲍勃", Decimal("2000.00"), Decimal("1000.00"), Decimal("1500.00"), Decimal("75.0"), False),
        ("Carol 卡罗", Decimal("600.00"), Decimal("300.00"), Decimal("0.00"), Decimal("0.0"), True),
    ]
    by_unit = plan_progress(user=world.dora, month=NOV, group_by="org_unit", today=MID_NOV)
    assert figures(by_unit) == [("华北大区", Decimal("6600.00"), Decimal("3300.00"), Decimal("3200.00"), Decimal("48.5"), True)]
    north = plan_progress(user=world.dora, month=NOV, group_by="org_unit", org_unit=world.north, today=MID_NOV)
    assert figures(north) == [
        ("北京片区", Decimal("6000.00"), Decimal("3000.00"), Decimal("3200.00"), Decimal("53.3"), False),
        ("天津片区", Decimal("600.00"), Decimal("300.00"), Decimal("0.00"), Decimal("0.0"), True),
    ]
    assert north.totals.actual_amount == Decimal("3200.00") and north.behind_count == 1
    by_product = plan_progress(user=world.dora, month=NOV, group_by="product", today=MID_NOV)
    assert [(r.detail, r.planned_quantity, r.actual_quantity, r.planned_amount, r.actual_amount, r.quantity_attainment)
            for r in by_product.rows] == [
        ("B-500", Decimal("50.000"), Decimal("27.000"), Decimal("5000.00"), Decimal("2700.00"), Decimal("54.0")),
        ("W-550", Decimal("160.000"), Decimal("50.000"), Decimal("1600.00"), Decimal("500.00"), Decimal("31.3")),
    ]
    lines = plan_progress(user=world.dora, month=NOV, group_by="line", org_unit=world.beijing, today=MID_NOV)
    assert [(r.detail, r.planned_amount, r.actual_amount, r.is_behind) for r in lines.rows] == [
        (f"{world.alice_card.code} · B-500", Decimal("3000.00"), Decimal("1200.00"), True),
        (f"{world.bob_card.code} · B-500", Decimal("2000.00"), Decimal("1500.00"), False),
        (f"{world.alice_card.code} · W-550", Decimal("1000.00"), Decimal("0.00"), True),
        (f"{shop.dan_card.code} · W-550", Decimal("0.00"), Decimal("500.00"), False),
    ]


def test_each_user_sees_only_their_customers(shop: Shop, world: World) -> None:
    mine = plan_progress(user=world.alice, month=NOV, group_by="customer", today=MID_NOV)
    assert [r.label for r in mine.rows] == ["北京海淀区单氏副食店", "单家小卖部"]
    assert mine.totals.planned_amount == Decimal("4000.00")
    mia = plan_progress(user=world.mia, month=NOV, group_by="org_unit", today=MID_NOV)
    assert figures(mia) == [("北京片区", Decimal("6000.00"), Decimal("3000.00"), Decimal("3200.00"), Decimal("53.3"), False)]
    tom = plan_progress(user=world.tom, month=NOV, group_by="product", today=MID_NOV)
    assert [(r.detail, r.planned_amount, r.actual_amount) for r in tom.rows] == [("W-550", Decimal("600.00"), Decimal("0.00"))]
    assert plan_progress(user=world.carol, month=NOV, group_by="rep", today=MID_NOV).totals.planned_amount == Decimal("600.00")
    # An org-unit filter narrows; it never widens what a user sees.
    assert plan_progress(user=world.tom, month=NOV, group_by="customer", org_unit=world.beijing).rows == []


def test_year_to_date_weighs_the_current_month(shop: Shop, world: World) -> None:
    ytd = plan_progress_cumulative(user=world.dora, year=2026, through_month=11, group_by="customer", org_unit=world.beijing,
                                   today=MID_NOV)
    assert ytd.elapsed_share == Decimal("95.5")  # 319 of 334 days
    assert figures(ytd)[0] == (
        # Oct's 1000 is due in full, Nov's 4000 half: 3000 expected; 800 + 1200 sold.
        "北京海淀区单氏副食店", Decimal("5000.00"), Decimal("3000.00"), Decimal("2000.00"), Decimal("40.0"), True)
    months = plan_progress_cumulative(user=world.dora, year=2026, through_month=11, group_by="month", today=MID_NOV)
    assert len(months.rows) == 11
    october, november = months.rows[9], months.rows[10]
    assert (october.label, october.planned_amount, october.actual_amount, october.is_behind) == (
        "2026-10", Decimal("1000.00"), Decimal("800.00"), True)
    assert (november.cumulative_planned, november.cumulative_actual) == (Decimal("7600.00"), Decimal("4000.00"))
    assert months.totals.planned_amount == Decimal("7600.00") and months.totals.expected_amount == Decimal("4300.00")


def test_paging_keeps_totals_of_all_groups(shop: Shop, world: World) -> None:
    page = plan_progress(user=world.dora, month=NOV, group_by="customer", limit=2, offset=2, today=MID_NOV)
    assert [r.label for r in page.rows] == ["天津河西区便利店", "单家小卖部"]
    assert page.count == 4 and page.totals.planned_amount == Decimal("6600.00")
    past = plan_progress(user=world.dora, month=NOV, group_by="customer", limit=2, offset=10, today=MID_NOV)
    assert past.rows == [] and past.count == 4 and past.totals.actual_amount == Decimal("3200.00")


@pytest.mark.parametrize("group_by", ["customer", "rep", "org_unit", "product", "line"])
def test_a_report_is_a_few_queries(shop: Shop, world: World, group_by: str, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(5):  # units, the scope's loans and subtree, the report, the labels
        plan_progress(user=world.mia, month=NOV, group_by=group_by, today=MID_NOV)


def test_the_card_tab_months(shop: Shop, world: World, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(9):
        months = customer_plan_months(user=world.alice, customer=world.alice_card, months=[NOV, OCT], today=MID_NOV)
        lines = [(x["line"].product.sku, x["actual_amount"], x["attainment"], x["is_behind"]) for x in months[0]["lines"]]
    assert lines == [("B-500", Decimal("1200.00"), Decimal("40.0"), True), ("W-550", Decimal("0.00"), Decimal("0.0"), True)]
    assert (months[0]["elapsed_share"], months[0]["attainment"]) == (Decimal("50.0"), Decimal("30.0"))
    assert (months[1]["attainment"], months[1]["is_behind"]) == (Decimal("80.0"), True)


def test_org_units_roll_up_to_the_top_when_there_are_several_roots(shop: Shop, world: World) -> None:
    from kehu.testing import make_unit

    south = make_unit("S", "华南总部")
    shop_south = make_customer("广州便利店", world.ada, south)
    plan_save(actor=world.ada, customer=shop_south, month=NOV, supports=[], lines=[(shop.beer.pk, 1, "100.00", "")])
    report = plan_progress(user=world.dora, month=NOV, group_by="org_unit", today=MID_NOV)
    assert [(r.label, r.planned_amount, r.actual_amount) for r in report.rows] == [
        ("总部", Decimal("6600.00"), Decimal("3200.00")), ("华南总部", Decimal("100.00"), Decimal("0.00"))]
    assert report.totals.planned_amount == Decimal("6700.00")


def test_approved_only_counts_approved_plans(shop: Shop, world: World) -> None:
    from kehu.sales.services.plans import plan_approve, plan_submit

    bob_plan = plan_submit(actor=world.bob, plan_id=world.bob_card.plans.get(month=NOV).pk, version=1)
    plan_approve(actor=world.mia, plan_id=bob_plan.pk, version=bob_plan.version)
    report = plan_progress(user=world.dora, month=NOV, group_by="customer", approved_only=True, today=MID_NOV)
    assert report.totals.planned_amount == Decimal("2000.00")
    assert report.totals.actual_amount == Decimal("3200.00")  # actuals are every booked sale
    by_product = plan_progress(user=world.dora, month=NOV, group_by="product", approved_only=True, today=MID_NOV)
    assert by_product.totals.planned_amount == Decimal("2000.00")
