"""`/api/v1/payments/`, `/allocations/`, `/receivables/`, `/collections/`: shapes, 400 maps, 409, and junk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.sales.models import Allocation, Collection, Order, Payment
from kehu.sales.services import ledger
from kehu.sales.services.receivables import payment_record
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import api_as, results

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def soda(db):
    return make_product("S1", "Soda", "1.00")


def book(card, soda, amount: str, days_overdue: int = 0) -> Order:
    order = make_booked_order(card, [(soda, 1, amount)], order_date=TODAY - timedelta(days=days_overdue + 30),
                              due_date=TODAY - timedelta(days=days_overdue))
    ledger.on_order_booked(order)
    return order


def test_creating_a_payment_oldest_first_with_nested_allocations(world, soda):
    older, newer = book(world.alice_card, soda, "100.00", 20), book(world.alice_card, soda, "100.00", 2)
    response = api_as(world.alice).post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "150.00",
                                                              "method": "cash", "reference": "R9"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"], body["unallocated"], body["received_by"]) == ("payment", "150.00", "0.00",
                                                                                      world.alice.pk)
    assert [(a["order"], a["amount"]) for a in body["allocations"]] == [(older.pk, "100.00"), (newer.pk, "50.00")]
    assert results(api_as(world.alice).get("/api/v1/payments/", {"customer": world.alice_card.pk}))[0]["id"] == body["id"]


def test_allocating_by_hand_and_keeping_credit(world, soda):
    order = book(world.alice_card, soda, "100.00")
    client = api_as(world.fiona)
    hand = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "60.00",
                                             "allocations": [{"order": order.pk, "amount": "25.00"}]})
    assert hand.status_code == 201 and hand.json()["unallocated"] == "35.00"
    none = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "5.00", "allocate": "none"})
    assert none.status_code == 201 and none.json()["allocations"] == []
    bad = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "5.00", "allocate": "none",
                                            "allocations": [{"order": order.pk, "amount": "1.00"}]})
    assert bad.status_code == 400 and "allocations" in bad.json()
    over = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "500.00", "allocate": "hand",
                                             "allocations": [{"order": order.pk, "amount": "80.00"}]})
    assert over.status_code == 400 and over.json() == {"allocations": [f"Order {order.number} has only 75.00 open."]}
    assert Payment.objects.count() == 2


def test_payment_field_errors_are_a_400_map(world):
    client = api_as(world.fiona)
    response = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "-3", "kind": "gift",
                                                 "colour": "red"})
    assert response.status_code == 400 and set(response.json()) == {"colour"}
    response = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "-3", "kind": "gift"})
    assert response.status_code == 400 and set(response.json()) == {"amount", "kind"}
    future = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "3",
                                               "date": (TODAY + timedelta(days=2)).isoformat()})
    assert future.status_code == 400 and future.json() == {"date": ["Money cannot be dated in the future."]}
    assert client.post("/api/v1/payments/", {"customer": 10**12, "amount": "3"}).status_code == 404


def test_refunds_credit_notes_and_void_through_the_api(world, soda):
    client = api_as(world.fiona)
    client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "50.00", "allocate": "none"})
    refund = client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "20.00", "kind": "refund"})
    assert refund.status_code == 201 and refund.json()["allocations"] == []
    assert client.post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "31.00",
                                             "kind": "refund"}).status_code == 400
    rep_note = api_as(world.alice).post("/api/v1/payments/", {"customer": world.alice_card.pk, "amount": "1",
                                                              "kind": "credit_note"})
    assert rep_note.status_code == 403
    assert client.post(f"/api/v1/payments/{refund.json()['id']}/void/", {}).status_code == 400
    assert client.post(f"/api/v1/payments/{refund.json()['id']}/void/", {"reason": "oops"}).status_code == 204
    assert not Payment.objects.filter(kind="refund").exists()


def test_allocations_create_and_delete(world, soda):
    order = book(world.alice_card, soda, "100.00")
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="70.00", allocate="none")
    client = api_as(world.alice)
    created = client.post("/api/v1/allocations/", {"payment": payment.pk, "order": order.pk, "amount": "70.00"})
    assert created.status_code == 201 and created.json()["order_number"] == order.number
    again = client.post("/api/v1/allocations/", {"payment": payment.pk, "order": order.pk, "amount": "1.00"})
    assert again.status_code == 400 and again.json() == {"amount": ["Only 0.00 of this payment is unallocated."]}
    assert results(client.get("/api/v1/allocations/", {"order": order.pk}))[0]["amount"] == "70.00"
    assert api_as(world.carol).delete(f"/api/v1/allocations/{created.json()['id']}/").status_code == 404
    assert client.delete(f"/api/v1/allocations/{created.json()['id']}/").status_code == 204
    assert not Allocation.objects.exists()


def test_receivables_per_customer_and_per_rep(world, soda):
    book(world.alice_card, soda, "100.00", 40)
    book(world.bob_card, soda, "60.00", 0)
    payment_record(actor=world.fiona, customer=world.bob_card, amount="10.00", allocate="none")
    client = api_as(world.mia)
    per_customer = client.get("/api/v1/receivables/")
    assert per_customer.status_code == 200
    rows = {r["key"]: r for r in per_customer.json()["results"]}
    assert rows[world.alice_card.pk]["d31_60"] == "100.00"
    assert (rows[world.bob_card.pk]["credit"], rows[world.bob_card.pk]["balance"]) == ("10.00", "50.00")
    assert per_customer.json()["total"]["total"] == "160.00"
    per_rep = client.get("/api/v1/receivables/", {"group_by": "rep"}).json()
    assert {r["key"]: r["total"] for r in per_rep["results"]} == {world.alice.pk: "100.00", world.bob.pk: "60.00"}
    assert api_as(world.carol).get("/api/v1/receivables/").json()["results"] == []
    assert client.get("/api/v1/receivables/", {"group_by": "planet"}).status_code == 400
    assert client.get("/api/v1/receivables/", {"on": "2024-99-99"}).status_code == 400


def test_collections_list_by_week_and_update_with_version(world, soda):
    order = book(world.alice_card, soda, "100.00", -2)
    row = Collection.objects.get(order=order)
    client = api_as(world.alice)
    listed = results(client.get("/api/v1/collections/", {"week": TODAY.isoformat(), "responsible": world.alice.pk}))
    in_week = TODAY - timedelta(days=TODAY.weekday()) <= row.due_on <= TODAY + timedelta(days=6 - TODAY.weekday())
    assert [r["id"] for r in listed] == ([row.pk] if in_week else [])
    changed = client.patch(f"/api/v1/collections/{row.pk}/", {"amount": "40.00", "version": 1})
    assert changed.status_code == 200 and (changed.json()["amount"], changed.json()["version"]) == ("40.00", 2)
    stale = client.patch(f"/api/v1/collections/{row.pk}/", {"amount": "30.00", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["amount"] == "40.00"
    assert client.patch(f"/api/v1/collections/{row.pk}/", {"amount": "x", "version": 2}).status_code == 400
    assert client.patch(f"/api/v1/collections/{row.pk}/", {"status": "done", "version": 2}).status_code == 400
    created = client.post("/api/v1/collections/", {"customer": world.alice_card.pk, "due_on": TODAY.isoformat(),
                                                   "amount": "9.90"})
    assert created.status_code == 201 and created.json()["responsible"] == world.alice.pk
    assert client.delete(f"/api/v1/collections/{created.json()['id']}/").status_code == 204
    assert api_as(world.carol).get(f"/api/v1/collections/{row.pk}/").status_code == 404


JUNK = [None, "", "x" * 5000, -1, 10**30, 1e308, "1e400", "NaN", True, [1, "a"], {"a": {"b": []}}, "2024-13-45\x00"]
PARAMS = ["", "x", "-1", "0", "1e400", "99999999999999999999999", "NaN", "\x00", "[]", "true", "2024-99-99"]
BODIES = ["[1, 2]", '"text"', "42", "null", "{not json", '{"a": ', b"\xff\xfe{"]


def test_junk_never_answers_500(world, soda):
    order = book(world.alice_card, soda, "100.00")
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="10.00", allocate="none")
    collection = Collection.objects.get(order=order)
    client = api_as(world.fiona)
    creates = {
        "/api/v1/payments/": {"customer": world.alice_card.pk, "amount": "1.00"},
        "/api/v1/allocations/": {"payment": payment.pk, "order": order.pk, "amount": "1.00"},
        "/api/v1/collections/": {"customer": world.alice_card.pk, "due_on": TODAY.isoformat(), "amount": "1.00"},
    }
    for url, valid in creates.items():
        for field in [*valid, "allocations", "allocate", "kind", "date", "method", "responsible", "order", "note"]:
            for junk in JUNK:
                response = client.post(url, {**valid, field: junk}, format="json")
                assert response.status_code < 500, (url, field, junk, response.content[:300])
        for body in BODIES:
            assert client.generic("POST", url, body, content_type="application/json").status_code < 500, (url, body)
    for junk in JUNK:
        response = client.patch(f"/api/v1/collections/{collection.pk}/", {"due_on": junk, "version": junk}, format="json")
        assert response.status_code < 500, junk
        assert client.post(f"/api/v1/payments/{payment.pk}/void/", {"reason": junk}, format="json").status_code < 500
    for url in ("/api/v1/payments/", "/api/v1/allocations/", "/api/v1/receivables/", "/api/v1/collections/"):
        for name in ("customer", "kind", "date_from", "payment", "order", "group_by", "on", "week", "status",
                     "responsible", "cursor", "ordering", "page_size"):
            for value in PARAMS:
                assert client.get(url, {name: value}).status_code < 500, (url, name, value)
        for pk in ("0", "-1", "abc", "99999999999999999999999"):
            assert client.get(f"{url}{pk}/").status_code in (404, 405), (url, pk)
