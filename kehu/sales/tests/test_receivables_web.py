"""The receivables pages and the card's Receivables tab, through the browser's eyes (Django's client)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.sales.models import Allocation, Collection, CollectionStatus, Order, Payment
from kehu.sales.services import ledger
from kehu.sales.services.receivables import payment_record
from kehu.sales.tabs.receivables import context as tab_context
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD

D = Decimal
TODAY = timezone.localdate()


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def soda(db):
    return make_product("S1", "Soda", "1.00")


def book(card, soda, amount: str, days_overdue: int = 0) -> Order:
    order = make_booked_order(card, [(soda, 1, amount)], order_date=TODAY - timedelta(days=days_overdue + 30),
                              due_date=TODAY - timedelta(days=days_overdue))
    ledger.on_order_booked(order)
    return order


def test_the_overview_shows_ageing_and_dso(world, soda):
    book(world.alice_card, soda, "100.00", days_overdue=40)
    book(world.bob_card, soda, "50.00")
    page = login(world.mia).get(reverse("sales:receivables"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "150.00" in html and str(world.alice) in html and world.beijing.name in html
    assert reverse("sales:balance") in html
    rep_page = login(world.alice).get(reverse("sales:receivables")).content.decode()
    assert "100.00" in rep_page and world.bob_card.name not in rep_page and reverse("sales:balance") not in rep_page


def test_the_overdue_list(world, soda, django_assert_max_num_queries):
    for i in range(12):
        book(world.alice_card if i % 2 else world.bob_card, soda, f"{i + 1}.00", days_overdue=i + 1)
    client = login(world.fiona)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("sales:overdue"))
    assert page.status_code == 200 and page.content.decode().count('class="badge badge-overdue"') == 12
    alice_page = login(world.alice).get(reverse("sales:overdue")).content.decode()
    assert world.bob_card.name not in alice_page and world.alice_card.name in alice_page


def test_the_week_page_with_reminders_and_someone_elses_list(world, soda):
    book(world.alice_card, soda, "321.00", days_overdue=-1)  # due tomorrow: a reminder
    page = login(world.alice).get(reverse("sales:collections"))
    html = page.content.decode()
    assert page.status_code == 200 and "321.00" in html and 'data-testid="reminders"' in html
    assert login(world.mia).get(reverse("sales:collections"), {"rep": world.alice.pk}).status_code == 200
    assert login(world.bob).get(reverse("sales:collections"), {"rep": world.alice.pk}).status_code == 404
    assert login(world.tom).get(reverse("sales:collections"), {"rep": world.alice.pk}).status_code == 404
    assert login(world.mia).get(reverse("sales:collections"), {"week": "junk", "rep": "x"}).status_code == 404


def test_recording_a_payment_by_hand_from_the_card(world, soda):
    first, second = book(world.alice_card, soda, "100.00", 10), book(world.alice_card, soda, "80.00", 5)
    client = login(world.alice)
    url = reverse("sales:payment-new") + f"?customer={world.alice_card.pk}"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"amount": "50", "date": TODAY.isoformat(), "method": "cash", "allocate": "hand"})
    assert bad.status_code == 400 and "Enter an amount for at least one order" in bad.content.decode()
    too_much = client.post(url, {"amount": "50", "date": TODAY.isoformat(), "method": "cash", "allocate": "hand",
                                 f"alloc_{second.pk}": "60"})
    assert too_much.status_code == 400 and "add up to more" in too_much.content.decode()
    done = client.post(url, {"amount": "50", "date": TODAY.isoformat(), "method": "cash", "allocate": "hand",
                             f"alloc_{second.pk}": "30", "reference": "R-1"})
    payment = Payment.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("sales:payment-detail", args=[payment.pk])
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.open_amount, first.open_amount, payment.unallocated) == (D("50.00"), D("100.00"), D("20.00"))
    detail = client.get(done["Location"]).content.decode()
    assert second.number in detail and "Allocate by hand" in detail
    allocate = client.post(reverse("sales:allocation-new", args=[payment.pk]), {"order": first.pk, "amount": "20"})
    assert allocate.status_code == 302
    first.refresh_from_db()
    assert first.open_amount == D("80.00")
    over = client.post(reverse("sales:allocation-new", args=[payment.pk]), {"order": first.pk, "amount": "1"})
    assert over.status_code == 400
    allocation = Allocation.objects.get(order=first)
    taken = client.post(reverse("sales:allocation-delete", args=[allocation.pk]), {"payment": payment.pk})
    assert taken.status_code == 302
    first.refresh_from_db()
    assert first.open_amount == D("100.00")


def test_a_rep_cannot_open_credit_note_or_refund_forms(world):
    client = login(world.alice)
    for name in ("sales:credit-note-new", "sales:refund-new"):
        assert client.get(reverse(name) + f"?customer={world.alice_card.pk}").status_code == 403
    assert client.get(reverse("sales:payment-new") + f"?customer={world.carol_card.pk}").status_code == 404
    assert client.get(reverse("sales:payment-new")).status_code == 404
    assert client.get(reverse("sales:payment-new") + "?customer=abc").status_code == 404


def test_finance_refunds_and_voids(world, soda):
    payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00", allocate="none")
    client = login(world.fiona)
    url = reverse("sales:refund-new") + f"?customer={world.alice_card.pk}"
    bad = client.post(url, {"amount": "100.01", "date": TODAY.isoformat(), "method": "transfer"})
    assert bad.status_code == 400 and "cannot be larger" in bad.content.decode()
    assert client.post(url, {"amount": "40", "date": TODAY.isoformat(), "method": "transfer"}).status_code == 302
    refund = Payment.objects.get(kind="refund")
    void_url = reverse("sales:payment-void", args=[refund.pk])
    assert client.post(void_url, {"reason": ""}).status_code == 400
    assert client.post(void_url, {"reason": "paid in cash instead"}).status_code == 302
    assert not Payment.objects.filter(kind="refund").exists()
    note = client.post(reverse("sales:credit-note-new") + f"?customer={world.alice_card.pk}",
                       {"amount": "5", "date": TODAY.isoformat(), "allocate": "none"})
    assert note.status_code == 302 and Payment.objects.filter(kind="credit_note").count() == 1


def test_editing_a_collection_and_the_conflict_page(world, soda):
    order = book(world.alice_card, soda, "100.00", -5)
    row = Collection.objects.get(order=order)
    client = login(world.alice)
    url = reverse("sales:collection-edit", args=[row.pk])
    assert client.get(url).status_code == 200
    form = {"due_on": (TODAY + timedelta(days=7)).isoformat(), "amount": "60", "responsible": world.alice.pk,
            "note": "split", "version": 1}
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "amount": "70"})
    assert stale.status_code == 409 and "Someone else saved" in stale.content.decode()
    row.refresh_from_db()
    assert (row.amount, row.version) == (D("60.00"), 2)
    assert login(world.carol).get(url).status_code == 404
    assert login(world.aud).get(url).status_code == 403
    assert client.post(reverse("sales:collection-cancel", args=[row.pk]), {"version": 2}).status_code == 302
    row.refresh_from_db()
    assert row.status == CollectionStatus.CANCELLED


def test_planning_a_collection_by_hand(world):
    client = login(world.alice)
    url = reverse("sales:collection-new") + f"?customer={world.alice_card.pk}"
    assert client.get(url).status_code == 200
    assert client.post(url, {"due_on": "nope", "amount": "1"}).status_code == 400
    assert client.post(url, {"due_on": TODAY.isoformat(), "amount": "12.5", "responsible": ""}).status_code == 302
    assert Collection.objects.get().responsible == world.alice


def test_the_balance_page_is_for_managers_finance_and_the_director(world, soda):
    book(world.alice_card, soda, "100.00")
    for user in (world.mia, world.fiona, world.dora):
        page = login(user).get(reverse("sales:balance"), {"group_by": "customer", "months": "6"})
        assert page.status_code == 200 and "100.00" in page.content.decode()
    assert login(world.alice).get(reverse("sales:balance")).status_code == 403
    assert login(world.fiona).get(reverse("sales:balance"), {"group_by": "junk", "months": "x"}).status_code == 200


def test_the_card_tab_shows_the_customers_receivables(world, soda):
    book(world.alice_card, soda, "100.00", days_overdue=45)
    book(world.alice_card, soda, "40.00", days_overdue=-10)
    payment_record(actor=world.fiona, customer=world.alice_card, amount="150.00")
    book(world.alice_card, soda, "30.00")  # takes the 10.00 credit left
    page = login(world.alice).get(reverse("customers:detail", args=[world.alice_card.pk]) + "?tab=receivables",
                                  HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200, html
    assert 'data-testid="rx-open">20.00<' in html and 'data-testid="rx-credit">0.00<' in html
    assert "Record a payment" in html and "Credit note" not in html
    assert "Credit note" in login(world.fiona).get(
        reverse("customers:detail", args=[world.alice_card.pk]) + "?tab=receivables").content.decode()


def test_the_tab_costs_a_fixed_number_of_queries(world, soda, django_assert_max_num_queries):
    for i in range(6):
        book(world.alice_card, soda, f"{10 + i}.00", days_overdue=i * 20)
        payment_record(actor=world.fiona, customer=world.alice_card, amount="3.00")
    # Open orders, their ageing, the credit check (policy + one row), payments + allocations, collections,
    # and the rep's loans read once per visible_to (4): the same for 6 orders or 6,000.
    with django_assert_max_num_queries(11):
        data = tab_context(world.alice, world.alice_card)
        [list(p.allocations.all()) for p in data["rx_payments"]]
    assert len(data["rx_payments"]) == 6 and len(data["rx_open_orders"]) == 6
    assert data["rx_credit"].credit_limit == D("0.00") and data["rx_credit"].exposure == data["rx_open_total"]


@pytest.mark.parametrize("name", ["sales:payments", "sales:collections", "sales:receivables", "sales:balance"])
def test_list_pages_cost_a_fixed_number_of_queries(world, soda, name, django_assert_max_num_queries):
    for i in range(15):
        book(world.alice_card, soda, f"{20 + i}.00", days_overdue=i - 3)
        payment_record(actor=world.fiona, customer=world.alice_card, amount="7.00")
    client = login(world.mia)
    client.get(reverse(name))  # session and translations warmed
    with django_assert_max_num_queries(12):
        response = client.get(reverse(name))
    assert response.status_code == 200
