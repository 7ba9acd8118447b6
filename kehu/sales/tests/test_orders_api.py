"""`/api/v1/orders/`: list with filters, retrieve with lines, create (with confirm), update drafts with
version, the actions; 400 field maps, 409 on a stale version, never a 500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kehu.sales.models import CreditHold, Order, OrderSource, OrderStatus
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import make_product
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/api/v1/orders/"


@pytest.fixture
def beer(world: World) -> object:
    for card in (world.alice_card, world.bob_card, world.carol_card):
        card.credit_limit = D("1000")
        card.save()
    return make_product("BEER-01", "青岛啤酒", "3.35", spec="500ml×12")


def make(w: World, beer: object, customer: object = None, actor: object = None, **kw: object) -> Order:
    return order_create(actor=actor or w.alice, customer=customer or w.alice_card,
                        lines=[LineInput(product_id=beer.pk, quantity=D("10"))], **kw)  # type: ignore[attr-defined]


def body(w: World, beer: object, **extra: object) -> dict:
    return {"customer": w.alice_card.pk, "lines": [{"product": beer.pk, "quantity": "4"}], **extra}  # type: ignore[attr-defined]


def test_create_answers_201_with_lines_and_the_source_api(world: World, beer: object) -> None:
    response = api_as(world.alice).post(URL, body(world, beer, note="后门", lines=[
        {"product": beer.pk, "quantity": "4"},  # type: ignore[attr-defined]
        {"product": beer.pk, "quantity": "1.5", "unit_price": "2.00", "discount": "0.50", "spec": "散装"},  # type: ignore[attr-defined]
    ]))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and data["source"] == OrderSource.API and data["total"] == "15.90"
    assert data["number"].startswith("SO") and data["rep"] == world.alice.pk and data["hold"] is None
    assert [(line["line_no"], line["spec"], line["amount"]) for line in data["lines"]] == [
        (1, "500ml×12", "13.40"), (2, "散装", "2.50")]


def test_create_with_confirm_answers_held_with_the_hold(world: World, beer: object) -> None:
    world.alice_card.credit_limit = D("10")
    world.alice_card.save()
    data = api_as(world.alice).post(URL, body(world, beer, confirm=True)).json()
    assert data["status"] == OrderStatus.HELD
    assert data["hold"]["exposure"] == "13.40" and data["hold"]["reasons"][0]["code"] == "over_limit"


def test_create_errors_are_field_maps(world: World, beer: object) -> None:
    client = api_as(world.alice)
    response = client.post(URL, {"customer": world.carol_card.pk, "lines": [{"product": 1, "quantity": "1"}]})
    assert response.status_code == 400 and response.json() == {"customer": ["No such customer."]}
    response = client.post(URL, body(world, beer, lines=[{"product": 999999, "quantity": "0"}]))
    assert response.status_code == 400
    assert response.json() == {"lines": ["Line 1: no such product.", ]}
    response = client.post(URL, body(world, beer, lines=[{"product": beer.pk, "quantity": "x", "colour": "red"}]))  # type: ignore[attr-defined]
    assert response.status_code == 400 and response.json() == {"lines": {"0": {"colour": ["Unknown field."]}}}
    response = client.post(URL, body(world, beer, total="5"))
    assert response.status_code == 400 and response.json() == {"total": ["Unknown field."]}
    assert not Order.objects.exists()


def test_retrieve_and_list_with_filters(world: World, beer: object) -> None:
    w = world
    first = make(w, beer, order_date=date(2026, 10, 5))
    second = order_confirm(actor=w.alice, order=make(w, beer, order_date=date(2026, 11, 5)))
    bobs = make(w, beer, customer=w.bob_card, actor=w.bob, order_date=date(2026, 11, 6))
    client = api_as(w.mia)
    assert [r["id"] for r in results(client.get(URL))] == [bobs.pk, second.pk, first.pk]
    assert [r["id"] for r in results(client.get(URL, {"status": "confirmed"}))] == [second.pk]
    assert [r["id"] for r in results(client.get(URL, {"customer": w.bob_card.pk}))] == [bobs.pk]
    assert [r["id"] for r in results(client.get(URL, {"rep": w.alice.pk, "date_from": "2026-11-01"}))] == [second.pk]
    assert [r["id"] for r in results(client.get(URL, {"date_to": "2026-10-31"}))] == [first.pk]
    assert [r["id"] for r in results(client.get(URL, {"q": first.number}))] == [first.pk]
    assert [r["id"] for r in results(client.get(URL, {"q": w.bob_card.code}))] == [bobs.pk]
    assert [r["id"] for r in results(client.get(URL, {"q": "朝阳"}))] == [bobs.pk]
    assert [r["id"] for r in results(client.get(URL, {"q": "chaoyang"}))] == [bobs.pk]
    assert [r["id"] for r in results(client.get(URL, {"q": first.number.lower()[:9]}))] == [first.pk]
    detail = client.get(f"{URL}{second.pk}/").json()
    assert detail["lines"][0]["product_sku"] == "BEER-01" and detail["due_date"] is not None
    assert [r["id"] for r in results(api_as(w.alice).get(URL))] == [second.pk, first.pk]


def test_list_queries_do_not_grow_with_rows(world: World, beer: object, django_assert_max_num_queries: object) -> None:
    for _ in range(12):
        make(world, beer)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert len(results(api_as(world.alice).get(URL))) == 12


def test_update_a_draft_with_its_version_and_409_when_stale(world: World, beer: object) -> None:
    order = make(world, beer)
    client = api_as(world.alice)
    response = client.patch(f"{URL}{order.pk}/", {"version": 1, "note": "改", "lines": [
        {"product": beer.pk, "quantity": "2", "unit_price": "3.00"}]})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response.json()["total"], response.json()["note"]) == (2, "6.00", "改")
    stale = client.patch(f"{URL}{order.pk}/", {"version": 1, "note": "again"})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2 and stale.json()["code"] == "version_conflict"
    assert client.patch(f"{URL}{order.pk}/", {"note": "x"}).json() == {"version": ["This field is required."]}


def test_actions_confirm_deliver_cancel_copy(world: World, beer: object) -> None:
    w = world
    client = api_as(w.alice)
    order = make(w, beer)
    confirmed = client.post(f"{URL}{order.pk}/confirm/", {"version": 1})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = client.post(f"{URL}{order.pk}/confirm/", {})
    assert again.status_code == 400 and again.json() == {"status": [f"Order {order.number} is already confirmed."]}
    assert client.post(f"{URL}{order.pk}/deliver/", {"version": 1}).status_code == 409
    delivered = client.post(f"{URL}{order.pk}/deliver/")
    assert delivered.json()["status"] == "delivered"
    refused = client.post(f"{URL}{order.pk}/cancel/", {"reason": "x"})
    assert refused.status_code == 400 and "cannot be cancelled" in refused.json()["status"][0]
    copy = client.post(f"{URL}{order.pk}/copy/")
    assert copy.status_code == 201 and copy.json()["status"] == "draft" and copy.json()["source"] == "copy"
    cancelled = client.post(f"{URL}{copy.json()['id']}/cancel/", {"reason": "不要了"})
    assert cancelled.json()["status"] == "cancelled"


def test_held_orders_cannot_be_confirmed_around_the_hold(world: World, beer: object) -> None:
    world.alice_card.credit_limit = D("1")
    world.alice_card.save()
    client = api_as(world.alice)
    order = make(world, beer)
    assert client.post(f"{URL}{order.pk}/confirm/").json()["status"] == "held"
    assert client.post(f"{URL}{order.pk}/confirm/").status_code == 400
    assert client.patch(f"{URL}{order.pk}/", {"version": 2, "note": "x"}).status_code == 400
    copy = client.post(f"{URL}{order.pk}/copy/").json()
    assert client.post(f"{URL}{copy['id']}/confirm/").json()["status"] == "held"
    assert CreditHold.objects.filter(status="pending").count() == 2


JUNK = [
    None, [], "x", 0, -1, 2**70, "1e999", {"a": 1}, [{"product": None}], "\x00", "NaN", "Infinity", True, 1.5,
    "2026-13-45", "99999999999999999999.999",
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_never_answers_500(world: World, beer: object, junk: object) -> None:
    client = api_as(world.alice)
    order = make(world, beer)
    answers = []
    for name in ("customer", "lines", "order_date", "settlement", "seller", "rep", "note", "confirm"):
        answers.append(client.post(URL, {**body(world, beer), name: junk}).status_code)
    for name in ("product", "quantity", "unit_price", "discount", "spec"):
        answers.append(client.post(URL, body(world, beer, lines=[{"product": beer.pk, "quantity": "1", name: junk}])).status_code)  # type: ignore[attr-defined]
    answers.append(client.post(URL, junk).status_code)
    for name in ("version", "note", "lines", "order_date", "rep"):
        answers.append(client.patch(f"{URL}{order.pk}/", {"version": 1, name: junk}).status_code)
    answers.append(client.post(f"{URL}{order.pk}/confirm/", {"version": junk}).status_code)
    answers.append(client.post(f"{URL}{order.pk}/cancel/", {"reason": junk}).status_code)
    for name in ("customer", "status", "rep", "date_from", "q", "ordering", "cursor"):
        answers.append(client.get(URL, {name: str(junk)}).status_code)
    answers.append(client.get(f"{URL}{junk}/").status_code)
    assert all(code < 500 for code in answers), answers
