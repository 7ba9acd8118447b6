"""`/api/v1/credit-holds/`, `/api/v1/credit-policies/`, `/api/v1/lifecycle-rules/`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.sales.models import CreditHold, CreditPolicy, HoldStatus, LifecycleRule, OrderStatus
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import make_product
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db

D = Decimal
HOLDS = "/api/v1/credit-holds/"
POLICIES = "/api/v1/credit-policies/"
RULES = "/api/v1/lifecycle-rules/"


@pytest.fixture
def held(world: World) -> CreditHold:
    beer = make_product("BEER-01", "青岛啤酒", "10.00")
    world.alice_card.credit_limit = D("50")
    world.alice_card.save()
    order = order_create(actor=world.alice, customer=world.alice_card,
                         lines=[LineInput(product_id=beer.pk, quantity=D("10"))])
    return CreditHold.objects.get(order=order_confirm(actor=world.alice, order=order))


def test_the_queue_lists_holds_with_their_figures(world: World, held: CreditHold) -> None:
    rows = results(api_as(world.fiona).get(HOLDS, {"status": "pending"}))
    assert [(r["id"], r["order_number"], r["exposure"], r["credit_limit"], r["order_status"]) for r in rows] == [
        (held.pk, held.order.number, "100.00", "50.00", "held")]
    assert results(api_as(world.fiona).get(HOLDS, {"status": "approved"})) == []
    assert api_as(world.fiona).get(HOLDS, {"status": "maybe"}).status_code == 400


def test_approve_books_the_order(world: World, held: CreditHold) -> None:
    response = api_as(world.fiona).post(f"{HOLDS}{held.pk}/approve/", {"reason": "月底回款", "one_off_raise": "50"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["order_status"], data["one_off_raise"], data["decided_by"]) == (
        "approved", OrderStatus.CONFIRMED, "50.00", world.fiona.pk)
    again = api_as(world.fiona).post(f"{HOLDS}{held.pk}/approve/", {"reason": "x"})
    assert again.status_code == 400 and again.json() == {"status": ["This hold was already decided (Approved)."]}


def test_reject_needs_a_reason_and_returns_the_order_to_draft(world: World, held: CreditHold) -> None:
    client = api_as(world.mia)
    assert client.post(f"{HOLDS}{held.pk}/reject/", {"reason": ""}).json() == {
        "reason": ["Give the reason for the decision; it is kept with the order."]}
    assert client.post(f"{HOLDS}{held.pk}/reject/", {}).json() == {"reason": ["This field is required."]}
    response = client.post(f"{HOLDS}{held.pk}/reject/", {"reason": "先回款"})
    assert response.json()["status"] == HoldStatus.REJECTED and response.json()["order_status"] == "draft"


def test_a_raise_too_small_is_a_field_error(world: World, held: CreditHold) -> None:
    response = api_as(world.fiona).post(f"{HOLDS}{held.pk}/approve/", {"reason": "ok", "one_off_raise": "1"})
    assert response.status_code == 400 and "a raise of at least 50.00 is needed" in response.json()["one_off_raise"][0]
    assert api_as(world.fiona).post(f"{HOLDS}{held.pk}/approve/", {"reason": "ok", "one_off_raise": "-5"}).status_code == 400


def test_policies_are_read_by_all_and_written_by_admins(world: World) -> None:
    rows = results(api_as(world.alice).get(POLICIES))
    assert [(r["rating"], r["default_limit"]) for r in rows] == [
        ("-", "0.00"), ("A", "500000.00"), ("B", "200000.00"), ("C", "50000.00"), ("D", "0.00")]
    policy = CreditPolicy.objects.get(rating="B")
    assert api_as(world.fiona).patch(f"{POLICIES}{policy.pk}/", {"default_limit": "1"}).status_code == 403
    response = api_as(world.ada).patch(f"{POLICIES}{policy.pk}/", {"default_limit": "250000", "max_overdue_days": 40})
    assert response.status_code == 200 and response.json()["default_limit"] == "250000.00"
    assert response.json()["max_overdue_days"] == 40
    bad = api_as(world.ada).patch(f"{POLICIES}{policy.pk}/", {"default_limit": "-1", "rating": "Z"})
    assert bad.status_code == 400
    assert api_as(world.ada).get(f"{POLICIES}99999/").status_code == 404


def test_lifecycle_rules_are_read_by_all_and_written_by_admins(world: World) -> None:
    rows = results(api_as(world.bob).get(RULES))
    assert [(r["tier"], r["dormant_after_days"]) for r in rows] == [("A", 60), ("B", 90), ("C", 120), ("D", 180)]
    rule = LifecycleRule.objects.get(tier="B")
    assert api_as(world.dora).put(f"{RULES}{rule.pk}/", {"dormant_after_days": 30}).status_code == 403
    response = api_as(world.ada).put(f"{RULES}{rule.pk}/", {"dormant_after_days": 30})
    assert response.status_code == 200 and response.json()["dormant_after_days"] == 30
    assert api_as(world.ada).put(f"{RULES}{rule.pk}/", {"dormant_after_days": 0}).status_code == 400


@pytest.mark.parametrize("junk", [None, [], "x", -1, 2**70, "NaN", "1e999", {"a": 1}, "\x00", True])
def test_junk_never_answers_500(world: World, held: CreditHold, junk: object) -> None:
    answers = []
    for user in (world.fiona, world.ada):
        client = api_as(user)
        for name in ("reason", "one_off_raise"):
            answers.append(client.post(f"{HOLDS}{held.pk}/approve/", {"reason": "x", name: junk}).status_code)
            answers.append(client.post(f"{HOLDS}{held.pk}/reject/", {name: junk}).status_code)
        answers.append(client.post(f"{HOLDS}{held.pk}/approve/", junk).status_code)
        for name in ("status", "customer", "order", "cursor"):
            answers.append(client.get(HOLDS, {name: str(junk)}).status_code)
        answers.append(client.get(f"{HOLDS}{junk}/").status_code)
        policy = CreditPolicy.objects.get(rating="A")
        for name in ("default_limit", "max_overdue_days"):
            answers.append(client.patch(f"{POLICIES}{policy.pk}/", {name: junk}).status_code)
        answers.append(client.patch(f"{RULES}{LifecycleRule.objects.first().pk}/", {"dormant_after_days": junk}).status_code)
    assert all(code < 500 for code in answers), answers
