"""Likely duplicates on the card form, and the custodians' duplicates report, role by role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customers.services import grant_decide, grant_request
from kehu.testing import make_customer

CREATE = reverse("customers:create")
REPORT = reverse("customers:duplicates")
ALICE_PHONE = "010-62345678"  # alice_card's phone in the world fixture


def new_card(**changes) -> dict:
    """The create form as the browser posts it."""
    data = {
        "name": "海淀新开超市",
        "kind": "company",
        "channel_level": "retailer",
        "status": "prospect",
        "tier": "B",
        "credit_limit": "0",
        "payment_terms_days": "0",
        "geo_precision": "none",
        "phone": "010-88889999",
    }
    data.update(changes)
    return data


def detail(card: Customer) -> str:
    return reverse("customers:detail", args=[card.pk])


# ---- the create form -------------------------------------------------------------------------


def test_it_shows_likely_duplicates_and_creates_nothing(client, world):
    client.force_login(world.alice)
    response = client.post(CREATE, new_card(name="单氏副食", owner=world.alice.pk, phone=ALICE_PHONE))
    assert response.status_code == 200
    matches = response.context["duplicates"]
    assert [(m.customer, m.score, m.reasons) for m in matches] == [(world.alice_card, 95, ["same phone"])]
    assert Customer.objects.count() == 3
    body = response.content.decode()
    assert f'<a href="{detail(world.alice_card)}"' in body
    assert world.alice_card.code in body
    assert "海淀区" in body
    assert 'name="confirm_duplicates" value="1"' in body
    assert "Create anyway" in body


def test_confirming_creates_the_card(client, world):
    client.force_login(world.alice)
    data = new_card(name="单氏副食", owner=world.alice.pk, phone=ALICE_PHONE, confirm_duplicates="1")
    response = client.post(CREATE, data)
    card = Customer.objects.get(name="单氏副食")
    assert response.status_code == 302 and response["Location"] == detail(card)
    assert (card.owner, card.phone) == (world.alice, ALICE_PHONE)
    assert Customer.objects.count() == 4


def test_a_card_without_matches_is_created_directly(client, world):
    client.force_login(world.alice)
    response = client.post(CREATE, new_card(owner=world.alice.pk))
    card = Customer.objects.get(name="海淀新开超市")
    assert response.status_code == 302 and response["Location"] == detail(card)


def test_a_rep_never_sees_a_match_they_cannot_see(client, world):
    client.force_login(world.carol)  # alice_card is in Beijing, out of Carol's sight
    response = client.post(CREATE, new_card(name="单氏副食", owner=world.carol.pk, phone=ALICE_PHONE))
    assert response.status_code == 302
    assert Customer.objects.filter(name="单氏副食", owner=world.carol).count() == 1


def test_a_match_the_user_may_not_edit_is_masked(client, world):
    grant = grant_request(actor=world.carol, customer_code=world.alice_card.code, reason="cover visit", days=3)
    grant_decide(actor=world.mia, grant_id=grant.pk, approve=True)
    client.force_login(world.carol)
    response = client.post(CREATE, new_card(name="单氏副食", owner=world.carol.pk, credit_code="91110108MA01C8XK22"))
    assert response.status_code == 200
    [match] = response.context["duplicates"]
    assert (match.customer, match.score, match.reasons) == (world.alice_card, 98, ["same credit code"])
    assert match.customer.credit_code == "911****XK22"


def test_invalid_input_is_reported_before_duplicates_are_looked_for(client, world):
    client.force_login(world.alice)
    response = client.post(CREATE, new_card(name="", owner=world.alice.pk, phone=ALICE_PHONE))
    assert response.status_code == 400
    assert "duplicates" not in response.context


# ---- the report ------------------------------------------------------------------------------


@pytest.fixture
def twins(world):
    """A second card for alice_card's shop, entered by Bob with the same phone."""
    return make_customer("海淀单氏副食", world.bob, world.beijing, phone=ALICE_PHONE)


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 403), ("bob", 403), ("carol", 403), ("mia", 403), ("tom", 403), ("dora", 403),
     ("fiona", 403), ("aud", 403), ("cathy", 200), ("ada", 200)],
)
def test_only_custodians_and_admins_open_the_report(client, world, twins, who, status):
    client.force_login(getattr(world, who))
    assert client.get(REPORT).status_code == status


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(REPORT)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(("who", "shown"), [("cathy", True), ("ada", True), ("dora", False), ("alice", False)])
def test_the_nav_entry_shows_only_to_those_who_may_open_it(client, world, who, shown):
    client.force_login(getattr(world, who))
    items = client.get(reverse("customers:list")).context["nav_items"]
    assert (REPORT in [item["url"] for item in items]) is shown


def test_the_report_lists_the_planted_pair(client, world, twins, django_assert_max_num_queries):
    client.force_login(world.cathy)
    with django_assert_max_num_queries(8):
        response = client.get(REPORT)
    assert response.status_code == 200
    rows = [(p.first, p.second, p.score, p.reasons) for p in response.context["pairs"]]
    assert rows == [(world.alice_card, twins, 95, ["same phone"])]
    assert response.context["min_score"] == 85
    body = response.content.decode()
    assert f'<a href="{detail(world.alice_card)}">' in body and f'<a href="{detail(twins)}">' in body


def test_a_higher_min_score_drops_the_pair(client, world, twins):
    client.force_login(world.ada)
    assert len(client.get(REPORT, {"min_score": "95"}).context["pairs"]) == 1
    response = client.get(REPORT, {"min_score": "96"})
    assert (response.status_code, response.context["pairs"]) == (200, [])
    assert "No pairs score 96 or more." in response.content.decode()


def test_an_empty_min_score_means_the_default(client, world, twins):
    client.force_login(world.cathy)
    response = client.get(REPORT, {"min_score": ""})
    assert (response.status_code, response.context["min_score"], len(response.context["pairs"])) == (200, 85, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("69", "Ensure this value is greater than or equal to 70."),
        ("101", "Ensure this value is less than or equal to 100."),
        ("abc", "Enter a whole number."),
        ("9" * 400, "Ensure this value is less than or equal to 100."),
    ],
)
def test_an_invalid_min_score_is_a_400_with_a_message(client, world, twins, value, message):
    client.force_login(world.cathy)
    response = client.get(REPORT, {"min_score": value})
    assert response.status_code == 400
    assert response.context["form"].errors == {"min_score": [message]}
    assert message in response.content.decode()
    assert response.context["pairs"] == []
