"""Every role against every receivables page and endpoint: who sees Alice's money, who may change it.

Alice's card is seen by Alice (owner), Mia (Beijing manager), and the see-all roles; Bob, Carol and
Tom do not see it (404, like a missing row). Payments and collection plans: finance, admin, and the
rep and manager of the card; credit notes and refunds: finance and admin; the sales-vs-collections
balance: managers, finance, the director, admins and auditors.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.sales.models import Allocation, Collection, Payment
from kehu.sales.services import ledger
from kehu.sales.services.receivables import allocation_create, payment_record
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD, api_as

TODAY = timezone.localdate()
SEES_ALICE = {"alice", "mia", "dora", "fiona", "cathy", "aud", "ada"}
RECORDS_MONEY = {"alice", "mia", "fiona", "ada"}
ISSUES_CREDIT = {"fiona", "ada"}
SEES_BALANCE = {"mia", "tom", "dora", "fiona", "aud", "ada"}
EVERYONE = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]


@pytest.fixture
def books(world):
    soda = make_product("S1", "Soda", "1.00")
    order = make_booked_order(world.alice_card, [(soda, 1, "100.00")], order_date=TODAY - timedelta(days=60),
                              due_date=TODAY - timedelta(days=30))
    ledger.on_order_booked(order)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="40.00", allocate="none")
    allocation = allocation_create(actor=world.fiona, payment_id=payment.pk, order_id=order.pk, amount="10.00")
    return {"order": order, "payment": payment, "allocation": allocation,
            "collection": Collection.objects.get(order=order)}


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def expected(who: str, allowed: set[str]) -> int:
    if who not in SEES_ALICE:
        return 404
    return 200 if who in allowed else 403


@pytest.mark.parametrize("who", EVERYONE)
def test_pages(world, books, who):
    user = world.everyone[who]
    client = login(user)
    card = world.alice_card.pk
    for name in ("sales:receivables", "sales:overdue", "sales:payments", "sales:collections"):
        page = client.get(reverse(name))
        assert page.status_code == 200, name
        # The overview shows sums per rep and org unit (Alice's order has 90.00 open); the lists name the card.
        marker = "90.00" if name == "sales:receivables" else world.alice_card.name
        if name != "sales:collections":  # the week lists one's own collections
            assert (marker in page.content.decode()) == (who in SEES_ALICE), (name, who)
    own_week = client.get(reverse("sales:collections")).content.decode()
    assert (world.alice_card.name in own_week) == (who == "alice")
    assert client.get(reverse("sales:balance")).status_code == (200 if who in SEES_BALANCE else 403)
    assert client.get(reverse("sales:payment-detail", args=[books["payment"].pk])).status_code == (
        200 if who in SEES_ALICE else 404
    )
    for name, allowed in (("sales:payment-new", RECORDS_MONEY), ("sales:collection-new", RECORDS_MONEY),
                          ("sales:credit-note-new", ISSUES_CREDIT), ("sales:refund-new", ISSUES_CREDIT)):
        assert client.get(reverse(name) + f"?customer={card}").status_code == expected(who, allowed), name
    edit = client.get(reverse("sales:collection-edit", args=[books["collection"].pk]))
    assert edit.status_code == expected(who, RECORDS_MONEY)
    tab = client.get(reverse("customers:detail", args=[card]) + "?tab=receivables")
    assert tab.status_code == (200 if who in SEES_ALICE else 404)


@pytest.mark.parametrize("who", EVERYONE)
def test_writes_on_pages(world, books, who):
    client = login(world.everyone[who])
    form = {"amount": "1.00", "date": TODAY.isoformat(), "method": "cash", "allocate": "none"}
    response = client.post(reverse("sales:payment-new") + f"?customer={world.alice_card.pk}", form)
    assert response.status_code == (302 if who in RECORDS_MONEY else expected(who, RECORDS_MONEY))
    response = client.post(reverse("sales:refund-new") + f"?customer={world.alice_card.pk}", form)
    assert response.status_code == (302 if who in ISSUES_CREDIT else expected(who, ISSUES_CREDIT))
    response = client.post(reverse("sales:allocation-delete", args=[books["allocation"].pk]))
    assert response.status_code == (302 if who in RECORDS_MONEY else expected(who, RECORDS_MONEY))
    assert Allocation.objects.filter(pk=books["allocation"].pk).exists() == (who not in RECORDS_MONEY)
    response = client.post(reverse("sales:collection-cancel", args=[books["collection"].pk]))
    assert response.status_code == (302 if who in SEES_ALICE and who in RECORDS_MONEY else expected(who, RECORDS_MONEY))


@pytest.mark.parametrize("who", EVERYONE)
def test_api(world, books, who):
    client = api_as(world.everyone[who])
    sees = who in SEES_ALICE
    for url in ("/api/v1/payments/", "/api/v1/allocations/", "/api/v1/collections/", "/api/v1/receivables/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert bool(response.json()["results"]) == sees, (url, who)
    for url in (f"/api/v1/payments/{books['payment'].pk}/", f"/api/v1/allocations/{books['allocation'].pk}/",
                f"/api/v1/collections/{books['collection'].pk}/"):
        assert client.get(url).status_code == (200 if sees else 404), url
    body = {"customer": world.alice_card.pk, "amount": "1.00", "allocate": "none"}
    assert client.post("/api/v1/payments/", body).status_code == {200: 201}.get(
        expected(who, RECORDS_MONEY), expected(who, RECORDS_MONEY))
    credit = client.post("/api/v1/payments/", {**body, "kind": "credit_note"})
    assert credit.status_code == {200: 201}.get(expected(who, ISSUES_CREDIT), expected(who, ISSUES_CREDIT))
    version = Collection.objects.get(pk=books["collection"].pk).version
    patched = client.patch(f"/api/v1/collections/{books['collection'].pk}/", {"note": "call first", "version": version})
    assert patched.status_code == expected(who, RECORDS_MONEY)
    allocated = client.post("/api/v1/allocations/", {"payment": books["payment"].pk, "order": books["order"].pk,
                                                     "amount": "1.00"})
    assert allocated.status_code == {200: 201}.get(expected(who, RECORDS_MONEY), expected(who, RECORDS_MONEY))
    voided = client.post(f"/api/v1/payments/{books['payment'].pk}/void/", {"reason": "test"})
    assert voided.status_code == {200: 204}.get(expected(who, RECORDS_MONEY), expected(who, RECORDS_MONEY))
    assert Payment.objects.filter(pk=books["payment"].pk).exists() == (who not in RECORDS_MONEY)
