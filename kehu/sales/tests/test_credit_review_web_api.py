"""The credit review page and API: filters, accepting with an edited limit, bad input (400),
decisions already taken (409), query counts, and the background task."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.sales.credit_review_task import credit_review_daily
from kehu.sales.models import CreditSuggestion, SuggestionStatus
from kehu.sales.tests.test_credit_review_service import TODAY, late, steady, water  # noqa: F401  (fixtures)
from kehu.testing import PASSWORD, World, api_as, make_customer, results

pytestmark = pytest.mark.django_db


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def open_suggestion(customer: Customer, current: str, proposed: str, **evidence: object) -> CreditSuggestion:
    customer.credit_limit = Decimal(current)
    customer.save()
    return CreditSuggestion.objects.create(
        customer=customer, current_limit=Decimal(current), suggested_limit=Decimal(proposed),
        evidence={"rule": "late_payer", "current_limit": current, "proposed_limit": proposed, **evidence},
    )


@pytest.fixture
def pair(world: World) -> tuple[CreditSuggestion, CreditSuggestion]:
    return open_suggestion(world.alice_card, "10000", "13000"), open_suggestion(world.bob_card, "20000", "15000")


def test_the_page_filters_raise_lower_and_status(world: World, pair) -> None:
    up, down = pair
    client = login(world.fiona)
    shown = lambda query: {s.pk for s in client.get(reverse("sales:credit-review") + query).context["suggestions"]}  # noqa: E731
    assert shown("") == {up.pk, down.pk}
    assert shown("?kind=raise") == {up.pk}
    assert shown("?kind=lower") == {down.pk}
    assert shown("?status=dismissed") == set()
    client.post(reverse("sales:credit-review-dismiss", args=[down.pk]))
    assert shown("?status=dismissed") == {down.pk}
    assert shown("") == {up.pk}


def test_an_unknown_filter_answers_400_with_the_open_list(world: World, pair) -> None:
    response = login(world.fiona).get(reverse("sales:credit-review") + "?kind=sideways")
    assert response.status_code == 400
    assert len(response.context["suggestions"]) == 2


def test_the_page_shows_the_evidence(world: World, late: Customer) -> None:  # noqa: F811
    from kehu.sales.services.credit_review import credit_review_run

    credit_review_run(today=TODAY)
    html = login(world.fiona).get(reverse("sales:credit-review")).content.decode()
    assert late.name in html
    assert "20,000.00" in html and "15,000.00" in html  # current → proposed
    assert "35.0" in html and "20.0" in html  # average days to pay, average days late


def test_the_list_page_costs_the_same_for_many_suggestions(world: World, django_assert_max_num_queries) -> None:
    for n in range(30):
        card = make_customer(f"批发部 {n}", world.alice, world.beijing)
        open_suggestion(card, "1000", "2000")
    client = login(world.mia)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("sales:credit-review"))
    assert len(response.context["suggestions"]) == 30


def test_accepting_on_the_page_with_an_edited_limit(world: World, pair) -> None:
    up, _down = pair
    response = login(world.mia).post(reverse("sales:credit-review-accept", args=[up.pk]), {"limit": "12500"})
    assert response.status_code == 302
    world.alice_card.refresh_from_db()
    assert world.alice_card.credit_limit == Decimal("12500.00")


@pytest.mark.parametrize("bad", ["", "0", "-1", "abc", "1.234"])
def test_a_bad_limit_on_the_page_answers_400_and_changes_nothing(world: World, pair, bad: str) -> None:
    up, _down = pair
    response = login(world.fiona).post(reverse("sales:credit-review-accept", args=[up.pk]), {"limit": bad})
    world.alice_card.refresh_from_db()
    if bad == "":  # no limit: the suggested one
        assert response.status_code == 302
        assert world.alice_card.credit_limit == Decimal("13000.00")
        return
    assert response.status_code == 400
    assert "above zero" in response.content.decode()
    assert world.alice_card.credit_limit == Decimal("10000.00")
    up.refresh_from_db()
    assert up.status == SuggestionStatus.OPEN


def test_deciding_twice_on_the_page_answers_409(world: World, pair) -> None:
    up, _down = pair
    client = login(world.fiona)
    assert client.post(reverse("sales:credit-review-dismiss", args=[up.pk])).status_code == 302
    assert client.post(reverse("sales:credit-review-accept", args=[up.pk])).status_code == 409
    assert client.post(reverse("sales:credit-review-dismiss", args=[up.pk])).status_code == 409


def test_api_accept_with_a_limit_and_the_kind_filter(world: World, pair) -> None:
    up, down = pair
    client = api_as(world.fiona)
    assert [r["id"] for r in results(client.get("/api/v1/credit-suggestions/?kind=raise"))] == [up.pk]
    row = results(client.get("/api/v1/credit-suggestions/?kind=lower"))[0]
    assert (row["id"], row["kind"], row["current_limit"], row["suggested_limit"]) == (
        down.pk, "lower", "20000.00", "15000.00")
    response = client.post(f"/api/v1/credit-suggestions/{down.pk}/accept/", {"limit": "16000"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["evidence"]["accepted_limit"]) == ("accepted", "16000.00")
    world.bob_card.refresh_from_db()
    assert world.bob_card.credit_limit == Decimal("16000.00")
    assert [r["id"] for r in results(client.get("/api/v1/credit-suggestions/"))] == [up.pk]
    assert [r["id"] for r in results(client.get("/api/v1/credit-suggestions/?status=accepted"))] == [down.pk]
    assert len(results(client.get("/api/v1/credit-suggestions/?status=all"))) == 2


@pytest.mark.parametrize("body,field", [
    ({"limit": "abc"}, "limit"), ({"limit": 0}, "limit"), ({"limit": -3}, "limit"),
    ({"limit": "1.001"}, "limit"), ({"limit": "1" * 20}, "limit"), ({"limit": 100, "note": "x"}, "note"),
    (["limit"], "non_field_errors"),
])
def test_api_bad_input_answers_400_with_the_field(world: World, pair, body: object, field: str) -> None:
    up, _down = pair
    response = api_as(world.fiona).post(f"/api/v1/credit-suggestions/{up.pk}/accept/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    up.refresh_from_db()
    assert up.status == SuggestionStatus.OPEN


@pytest.mark.parametrize("query", ["kind=up", "status=closed"])
def test_api_bad_filters_answer_400(world: World, pair, query: str) -> None:
    response = api_as(world.fiona).get(f"/api/v1/credit-suggestions/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_api_deciding_twice_answers_409_with_the_current_record(world: World, pair) -> None:
    up, _down = pair
    client = api_as(world.dora)
    assert client.post(f"/api/v1/credit-suggestions/{up.pk}/dismiss/").status_code == 200
    response = client.post(f"/api/v1/credit-suggestions/{up.pk}/accept/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["current"]["status"] == "dismissed"
    assert client.post(f"/api/v1/credit-suggestions/{up.pk}/dismiss/").status_code == 409
    world.alice_card.refresh_from_db()
    assert world.alice_card.credit_limit == Decimal("10000.00")


@pytest.mark.parametrize("pk", ["0", "99999999", "9" * 30, "abc"])
def test_api_unknown_ids_answer_404(world: World, pk: str) -> None:
    client = api_as(world.fiona)
    assert client.get(f"/api/v1/credit-suggestions/{pk}/").status_code == 404
    assert client.post(f"/api/v1/credit-suggestions/{pk}/dismiss/").status_code == 404


def test_an_archived_card_cannot_get_a_new_limit(world: World, pair) -> None:
    up, _down = pair
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=world.alice_card.created_at)
    response = api_as(world.fiona).post(f"/api/v1/credit-suggestions/{up.pk}/accept/", {}, format="json")
    assert response.status_code in (403, 404)
    up.refresh_from_db()
    assert up.status == SuggestionStatus.OPEN


def test_the_task_runs_the_review(world: World, steady: Customer) -> None:  # noqa: F811
    assert credit_review_daily.call(TODAY.isoformat()) == 1
    assert CreditSuggestion.objects.get(customer=steady).suggested_limit == Decimal("13000.00")
    assert credit_review_daily.call(date(2026, 7, 16).isoformat()) == 1
