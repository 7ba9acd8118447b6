"""The hold queue, a hold's page and decision, and the credit settings page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kehu.sales.models import CreditHold, CreditPolicy, HoldStatus, LifecycleRule, OrderStatus
from kehu.sales.services.credit import hold_reject
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import make_product
from kehu.testing import PASSWORD, World

pytestmark = pytest.mark.django_db

D = Decimal


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def hold_for(w: World, customer: object, actor: object, qty: str = "10") -> CreditHold:
    beer = make_product(f"B{CreditHold.objects.count()}", "青岛啤酒", "10.00")
    customer.credit_limit = D("50")  # type: ignore[attr-defined]
    customer.save()  # type: ignore[attr-defined]
    order = order_create(actor=actor, customer=customer, lines=[LineInput(product_id=beer.pk, quantity=D(qty))])
    return CreditHold.objects.get(order=order_confirm(actor=actor, order=order))


def test_the_queue_shows_pending_holds_with_exposure_limit_and_the_decision_form(world: World) -> None:
    w = world
    hold = hold_for(w, w.alice_card, w.alice)
    page = login(w.fiona).get(reverse("sales:holds"))
    assert page.status_code == 200
    html = page.content.decode()
    assert hold.order.number in html and "100.00" in html and "50.00" in html
    assert "Exposure 100.00 would exceed the credit limit 50.00 by 50.00." in html
    assert reverse("sales:hold-decide", args=[hold.pk]) in html
    rep_page = login(w.alice).get(reverse("sales:holds")).content.decode()
    assert hold.order.number in rep_page and reverse("sales:hold-decide", args=[hold.pk]) not in rep_page


def test_the_queue_costs_the_same_queries_for_many_holds(world: World, django_assert_max_num_queries: object) -> None:
    w = world
    for _ in range(3):
        hold_for(w, w.alice_card, w.alice)
    client = login(w.fiona)
    client.get(reverse("sales:holds"))
    for _ in range(10):
        hold_for(w, w.bob_card, w.bob)
    for hold in CreditHold.objects.filter(customer=w.bob_card)[:4]:
        hold_reject(actor=w.fiona, hold=hold, reason="no")
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = client.get(reverse("sales:holds"))
    assert page.status_code == 200 and len(page.context["pending"]) == 9 and len(page.context["decided"]) == 4


def test_approving_from_the_queue(world: World) -> None:
    hold = hold_for(world, world.alice_card, world.alice)
    response = login(world.mia).post(reverse("sales:hold-decide", args=[hold.pk]),
                                     {"decision": "approve", "reason": "月底回款", "one_off_raise": "60"})
    assert response.status_code == 302 and response["Location"] == reverse("sales:holds")
    hold.refresh_from_db()
    assert hold.status == HoldStatus.APPROVED and hold.one_off_raise == D("60.00")
    assert hold.order.status == OrderStatus.CONFIRMED


def test_rejecting_needs_a_reason_and_reports_it_on_the_page(world: World) -> None:
    hold = hold_for(world, world.alice_card, world.alice)
    client = login(world.fiona)
    response = client.post(reverse("sales:hold-decide", args=[hold.pk]), {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    assert "Give the reason for the decision; it is kept with the order." in response.content.decode()
    response = client.post(reverse("sales:hold-decide", args=[hold.pk]), {"decision": "approve", "reason": "ok",
                                                                         "one_off_raise": "5"})
    assert response.status_code == 400 and "a raise of at least 50.00 is needed" in response.content.decode()
    response = client.post(reverse("sales:hold-decide", args=[hold.pk]), {"decision": "reject", "reason": "先回款"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.status == HoldStatus.REJECTED and hold.order.status == OrderStatus.DRAFT


def test_the_detail_shows_the_customer_now(world: World) -> None:
    hold = hold_for(world, world.alice_card, world.alice)
    html = login(world.fiona).get(reverse("sales:hold-detail", args=[hold.pk])).content.decode()
    assert "The customer now" in html and "Exposure with this order" in html


def test_decisions_by_those_who_may_not(world: World) -> None:
    hold = hold_for(world, world.alice_card, world.alice)
    url = reverse("sales:hold-decide", args=[hold.pk])
    for user, status in ((world.alice, 403), (world.cathy, 403), (world.aud, 403), (world.carol, 404),
                         (world.tom, 404)):
        assert login(user).post(url, {"decision": "approve", "reason": "x"}).status_code == status, user
    hold.refresh_from_db()
    assert hold.status == HoldStatus.PENDING


def test_the_settings_page_is_read_by_all_and_saved_by_an_admin(world: World) -> None:
    url = reverse("sales:credit-policy")
    html = login(world.alice).get(url).content.decode()
    assert "500,000.00" in html or "500000.00" in html
    assert 'name="limit_' not in html
    b = CreditPolicy.objects.get(rating="B")
    rule = LifecycleRule.objects.get(tier="A")
    page = login(world.ada).get(url)
    data = {name: field.value() if field.value() is not None else "" for name, field in
            ((n, page.context["form"][n]) for n in page.context["form"].fields)}
    data.update({f"limit_{b.pk}": "250000", f"overdue_{b.pk}": "40", f"dormant_{rule.pk}": "45"})
    assert login(world.ada).post(url, data).status_code == 302
    b.refresh_from_db()
    rule.refresh_from_db()
    assert (b.default_limit, b.max_overdue_days, rule.dormant_after_days) == (D("250000.00"), 40, 45)
    bad = login(world.ada).post(url, {**data, f"limit_{b.pk}": "-1"})
    assert bad.status_code == 400
    assert login(world.fiona).post(url, data).status_code == 403


def test_the_requester_sees_no_decision_form_and_is_refused(world: World) -> None:
    hold = hold_for(world, world.alice_card, world.mia)  # entered and confirmed by the manager
    html = login(world.mia).get(reverse("sales:holds")).content.decode()
    assert hold.order.number in html and reverse("sales:hold-decide", args=[hold.pk]) not in html
    response = login(world.mia).post(reverse("sales:hold-decide", args=[hold.pk]), {"decision": "approve", "reason": "x"})
    assert response.status_code == 403
