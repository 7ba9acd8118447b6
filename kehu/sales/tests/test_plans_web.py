"""Plan pages: progress overview, the edit grid and its workflow buttons, approvals, copy, import, the card tab."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kehu.sales.models import PlanStatus, SalesPlan
from kehu.sales.services.plans import plan_save, plan_submit
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD, World

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)


def client_as(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def beer(db: None) -> Any:
    return make_product("B-500", "啤酒", "10.00", spec="500ml×12")


def edit_url(customer: Any, month: str = "2026-11") -> str:
    return reverse("sales:plan-edit", args=[customer.pk, month])


def grid(version: Any = "", **rows: str) -> dict[str, str]:
    return {"version": str(version), "note": "双十一", **rows}


def test_the_grid_creates_then_replaces_a_plan(world: World, beer: Any) -> None:
    alice = client_as(world.alice)
    page = alice.get(edit_url(world.alice_card))
    assert page.status_code == 200 and "Not drafted yet" in page.content.decode()
    response = alice.post(edit_url(world.alice_card), grid(
        **{"line-0-product": str(beer.pk), "line-0-quantity": "30", "line-0-amount": "3000.5", "line-0-schedule": "上旬",
           "line-1-product": "", "line-1-quantity": "", "support-0-kind": "display", "support-0-description": "端架",
           "support-0-cost": "50"}))
    assert response.status_code == 302
    plan = SalesPlan.objects.get()
    assert (plan.month, plan.total_amount, plan.support_cost, plan.note) == (NOV, Decimal("3000.50"), Decimal("50.00"), "双十一")
    page = alice.get(edit_url(world.alice_card)).content.decode()
    assert 'value="3000.50"' in page and "端架" in page
    alice.post(edit_url(world.alice_card), grid(plan.version, **{"line-0-product": str(beer.pk), "line-0-quantity": "1",
                                                                  "line-0-amount": "10"}))
    plan.refresh_from_db()
    assert (plan.total_amount, plan.support_cost, plan.version) == (Decimal("10.00"), Decimal("0.00"), 2)


def test_the_grid_shows_errors_in_their_cells_and_writes_nothing(world: World, beer: Any) -> None:
    response = client_as(world.alice).post(edit_url(world.alice_card), grid(
        **{"line-0-product": str(beer.pk), "line-0-quantity": "-3", "line-0-amount": "abc",
           "line-1-product_label": "没有这个", "line-1-quantity": "2"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter zero or more." in page and "Enter a number." in page
    assert "Choose a product from the catalogue" in page and 'value="没有这个"' in page
    assert not SalesPlan.objects.exists()


def test_a_stale_grid_is_refused_with_409_and_keeps_the_input(world: World, beer: Any) -> None:
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, 10, "")], supports=[])
    plan_save(actor=world.mia, customer=world.alice_card, month=NOV, lines=[(beer.pk, 2, 20, "")], supports=[], version=1)
    response = client_as(world.alice).post(edit_url(world.alice_card), grid(
        plan.version, **{"line-0-product": str(beer.pk), "line-0-quantity": "5", "line-0-amount": "55"}))
    assert response.status_code == 409
    assert "Someone else saved this plan meanwhile" in response.content.decode()
    assert 'name="version" value="2"' in response.content.decode()
    assert SalesPlan.objects.get().total_amount == Decimal("20.00")


def test_a_locked_plan_cannot_be_edited_through_the_page(world: World, beer: Any) -> None:
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, 10, "")], supports=[])
    plan = plan_submit(actor=world.alice, plan_id=plan.pk, version=plan.version)
    alice = client_as(world.alice)
    page = alice.get(edit_url(world.alice_card)).content.decode()
    assert "Save plan" not in page and "Reopen to change" in page
    response = alice.post(edit_url(world.alice_card), grid(
        plan.version, **{"line-0-product": str(beer.pk), "line-0-quantity": "9", "line-0-amount": "999"}))
    assert response.status_code == 400 and "reopen it first" in response.content.decode()
    assert SalesPlan.objects.get().total_amount == Decimal("10.00")


def test_workflow_buttons(world: World, beer: Any) -> None:
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, 10, "")], supports=[])
    alice, mia = client_as(world.alice), client_as(world.mia)
    action = lambda p, name: reverse("sales:plan-action", args=[p.pk, name])  # noqa: E731
    assert "Approve" not in alice.get(edit_url(world.alice_card)).content.decode()
    assert alice.post(action(plan, "submit"), {"version": 1}).status_code == 302
    assert SalesPlan.objects.get().status == PlanStatus.SUBMITTED
    page = mia.get(edit_url(world.alice_card)).content.decode()
    assert "Approve" in page and "Return for changes" in page
    # Approving needs the version read: a stale one changes nothing.
    mia.post(action(plan, "approve"), {"version": 1})
    assert SalesPlan.objects.get().status == PlanStatus.SUBMITTED
    response = mia.post(action(plan, "return"), {"version": 2, "text": ""}, follow=True)
    assert "Say what should change." in response.content.decode()
    queue = mia.get(reverse("sales:plan-approvals")).content.decode()
    assert world.alice_card.name in queue
    assert world.alice_card.name not in client_as(world.tom).get(reverse("sales:plan-approvals")).content.decode()
    response = mia.post(action(plan, "approve"), {"version": 2, "next": reverse("sales:plan-approvals")})
    assert response.status_code == 302 and response["Location"] == reverse("sales:plan-approvals")
    assert SalesPlan.objects.get().status == PlanStatus.APPROVED
    assert alice.post(action(plan, "approve"), {"version": 3}).status_code == 403
    assert client_as(world.carol).post(action(plan, "reopen"), {"version": 3}).status_code == 404
    assert alice.post(action(plan, "reopen"), {"version": 3, "text": "加货"}).status_code == 302
    assert SalesPlan.objects.get().status == PlanStatus.DRAFT
    assert alice.post(reverse("sales:plan-action", args=[plan.pk, "explode"]), {"version": 4}).status_code == 404
    assert alice.post(reverse("sales:plan-action", args=[10**20, "submit"]), {"version": 4}).status_code == 404
    assert alice.get(reverse("sales:plan-edit", args=[10**20, "2026-11"])).status_code == 404
    assert alice.get(reverse("sales:plan-edit", args=[world.alice_card.pk, "99999-1"])).status_code == 404
    assert alice.get(reverse("sales:plan-edit", args=[world.alice_card.pk, "junk"])).status_code == 404
    assert alice.get(reverse("sales:plan-new"), {"customer": "x", "month": "2026-11"}).status_code == 302


def test_the_overview_groups_filters_and_survives_junk(world: World, beer: Any) -> None:
    plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 100, 1000, "")], supports=[])
    plan_save(actor=world.carol, customer=world.carol_card, month=NOV, lines=[(beer.pk, 10, 100, "")], supports=[])
    make_booked_order(world.alice_card, [(beer, 10, "10")], order_date=date(2026, 11, 2))
    dora = client_as(world.dora)
    url = reverse("sales:plans")
    for group in ("customer", "rep", "org_unit", "product", "line"):
        response = dora.get(url, {"month": "2026-11", "group_by": group})
        assert response.status_code == 200, group
    page = dora.get(url, {"month": "2026-11", "group_by": "customer"}).content.decode()
    assert world.alice_card.name in page and world.carol_card.name in page and "1,000.00" in page
    mine = client_as(world.alice).get(url, {"month": "2026-11"}).content.decode()
    assert world.alice_card.name in mine and world.carol_card.name not in mine
    tianjin = dora.get(url, {"month": "2026-11", "org_unit": world.tianjin.pk}).content.decode()
    assert world.carol_card.name in tianjin and world.alice_card.name not in tianjin
    assert dora.get(url, {"month": "2026-11", "period": "ytd", "group_by": "month"}).status_code == 200
    for junk in ({"month": "2026-99"}, {"group_by": "x"}, {"org_unit": "abc"}, {"org_unit": "99999999999999999999"},
                 {"page": "-1"}, {"behind": "maybe"}, {"rep": "x"}, {"month": "\x00"}):
        assert dora.get(url, junk).status_code == 200, junk
    # Tom may not filter by an org unit outside his subtree: the choice is refused, the default applies.
    tom = client_as(world.tom).get(url, {"month": "2026-11", "org_unit": world.beijing.pk})
    assert world.alice_card.name not in tom.content.decode()


def test_copy_previews_then_creates(world: World, beer: Any) -> None:
    make_booked_order(world.alice_card, [(beer, 10, "10")], order_date=date(2025, 11, 2))
    mia = client_as(world.mia)
    url = reverse("sales:plan-copy")
    assert mia.get(url).status_code == 200
    preview = mia.post(url, {"org_unit": world.beijing.pk, "month": "2026-11", "growth": "20", "preview": "1"})
    assert preview.status_code == 200 and "120.00" in preview.content.decode()
    assert not SalesPlan.objects.exists()
    done = mia.post(url, {"org_unit": world.beijing.pk, "month": "2026-11", "growth": "20", "create": "1"})
    assert done.status_code == 302
    assert SalesPlan.objects.get().total_amount == Decimal("120.00")
    assert mia.post(url, {"org_unit": "", "month": "x", "growth": "abc"}).status_code == 400


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("plans.csv", text.encode("utf-8"), content_type="text/csv")


def test_import_all_or_nothing_with_row_errors(world: World, beer: Any) -> None:
    water = make_product("W-550", "矿泉水", "2.50")
    alice = client_as(world.alice)
    url = reverse("sales:plan-import")
    bad = (f"客户编码,月份,商品编码,数量,金额,进度安排\n{world.alice_card.code},2026-11,B-500,10,100,上旬\n"
           f"{world.carol_card.code},2026-11,B-500,1,1,\n{world.alice_card.code},2026-13,NOPE,-1,x,\n"
           f"{world.alice_card.code},2026-11,B-500,1,1,\n")
    response = alice.post(url, {"file": csv_file(bad)})
    assert response.status_code == 400
    page = response.content.decode()
    for expected in ("No customer with this code among the cards you can see.", "is not a month",
                     "must be at least 0", "already planned for this customer and month in row 2"):
        assert expected in page, expected
    assert not SalesPlan.objects.exists()
    good = (f"Customer code,Month,SKU,Quantity,Amount,Schedule\n{world.alice_card.code},2026-11,B-500,10,100.5,上旬\n"
            f"{world.alice_card.code},2026-11,W-550,3,7.5,\n{world.alice_card.code},2026年12月,B-500,1,10,\n")
    assert alice.post(url, {"file": csv_file(good), "dry_run": "on"}).status_code == 200
    assert not SalesPlan.objects.exists()
    assert alice.post(url, {"file": csv_file(good)}).status_code == 302
    nov = SalesPlan.objects.get(month=NOV)
    assert (nov.total_amount, nov.lines.count()) == (Decimal("108.00"), 2)
    assert SalesPlan.objects.get(month=date(2026, 12, 1)).total_amount == Decimal("10.00")
    # A submitted plan is not replaced by an import.
    plan_submit(actor=world.alice, plan_id=nov.pk, version=nov.version)
    again = alice.post(url, {"file": csv_file(good)})
    assert again.status_code == 400 and "reopen it before importing" in again.content.decode()
    assert SalesPlan.objects.get(month=NOV).total_amount == Decimal("108.00")
    assert water.pk


def test_import_template_downloads(world: World) -> None:
    response = client_as(world.alice).get(reverse("sales:plan-import-template"), {"lang": "en"})
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_card_tab_shows_plans_with_progress(world: World, beer: Any, django_assert_max_num_queries: Any) -> None:
    from django.utils import timezone

    this_month = timezone.localdate().replace(day=1)
    plan_save(actor=world.alice, customer=world.alice_card, month=this_month, lines=[(beer.pk, 10, "100.00", "上旬")],
              supports=[("training", "店员培训", "80")])
    make_booked_order(world.alice_card, [(beer, 4, "10")], order_date=this_month)
    alice = client_as(world.alice)
    url = reverse("customers:detail", args=[world.alice_card.pk])
    page = alice.get(url, {"tab": "plans"}, HTTP_HX_REQUEST="true").content.decode()
    assert "40.0%" in page and "店员培训" in page and "80.00" in page and "Edit this month's plan" in page
    with django_assert_max_num_queries(30):
        alice.get(url, {"tab": "plans"}, HTTP_HX_REQUEST="true")
    assert "Edit this month" not in client_as(world.fiona).get(url, {"tab": "plans"}, HTTP_HX_REQUEST="true").content.decode()


def test_list_pages_take_a_fixed_number_of_queries(world: World, beer: Any, django_assert_max_num_queries: Any) -> None:
    from kehu.testing import make_customer

    for n in range(12):
        card = make_customer(f"店{n}", world.alice, world.beijing)
        plan = plan_save(actor=world.alice, customer=card, month=NOV, lines=[(beer.pk, 1, 10, "")], supports=[])
        plan_submit(actor=world.alice, plan_id=plan.pk, version=plan.version)
    mia = client_as(world.mia)
    for url, params in ((reverse("sales:plans"), {"month": "2026-11"}), (reverse("sales:plans"), {"group_by": "line"}),
                        (reverse("sales:plan-approvals"), {})):
        mia.get(url, params)  # warm the session
        with django_assert_max_num_queries(12):  # session, user, scope, units, report, labels, counts
            assert mia.get(url, params).status_code == 200
    page = mia.get(reverse("sales:plan-approvals")).content.decode()
    assert page.count("店") == 12
