"""Access matrix of the credit review: the page and `/api/v1/credit-suggestions/`, reading and deciding.

Everyone sees the suggestions of the cards they see (hidden = 404). Deciding: finance, the director
and admins for every card, a manager for the subtree; reps, the custodian and the auditor never.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.sales.models import CreditSuggestion, SuggestionStatus
from kehu.testing import PASSWORD, World, api_as, results

pytestmark = pytest.mark.django_db

EVERYONE = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
ALL = {"alice", "bob", "carol"}
SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol"}, "mia": {"alice", "bob"}, "tom": {"carol"},
    "dora": ALL, "fiona": ALL, "cathy": ALL, "aud": ALL, "ada": ALL,
}
DECIDES = {
    "alice": set(), "bob": set(), "carol": set(), "mia": {"alice", "bob"}, "tom": {"carol"},
    "dora": ALL, "fiona": ALL, "cathy": set(), "aud": set(), "ada": ALL,
}


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def suggestions(world: World) -> dict[str, CreditSuggestion]:
    made = {}
    for owner, (current, proposed) in {"alice": ("10000", "13000"), "bob": ("20000", "15000"),
                                       "carol": ("8000", "4000")}.items():
        card = getattr(world, f"{owner}_card")
        card.credit_limit = Decimal(current)
        card.save()
        made[owner] = CreditSuggestion.objects.create(
            customer=card, current_limit=Decimal(current), suggested_limit=Decimal(proposed),
            evidence={"rule": "late_payer", "current_limit": current, "proposed_limit": proposed},
        )
    return made


@pytest.mark.parametrize("who", EVERYONE)
def test_page_and_api_list_exactly_the_visible_suggestions(world: World, suggestions: dict, who: str) -> None:
    user = world.everyone[who]
    page = login(user).get(reverse("sales:credit-review"))
    assert page.status_code == 200
    assert {s.pk for s in page.context["suggestions"]} == {suggestions[o].pk for o in SEES[who]}
    html = page.content.decode()
    for owner, found in suggestions.items():
        assert (found.customer.name in html) == (owner in SEES[who])
        assert (reverse("sales:credit-review-accept", args=[found.pk]) in html) == (owner in DECIDES[who])
    listed = results(api_as(user).get("/api/v1/credit-suggestions/"))
    assert {r["id"] for r in listed} == {suggestions[o].pk for o in SEES[who]}


@pytest.mark.parametrize("who", EVERYONE)
def test_api_detail_answers_404_for_hidden_suggestions(world: World, suggestions: dict, who: str) -> None:
    client = api_as(world.everyone[who])
    for owner, found in suggestions.items():
        assert client.get(f"/api/v1/credit-suggestions/{found.pk}/").status_code == (200 if owner in SEES[who] else 404)


def _expected(who: str, owner: str) -> int:
    if owner not in SEES[who]:
        return 404
    return 200 if owner in DECIDES[who] else 403


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_api_decisions_follow_the_policy(world: World, suggestions: dict, who: str, action: str) -> None:
    client = api_as(world.everyone[who])
    for owner, found in suggestions.items():
        response = client.post(f"/api/v1/credit-suggestions/{found.pk}/{action}/", {}, format="json")
        expected = _expected(who, owner)
        assert response.status_code == expected, (owner, response.content)
        found.refresh_from_db()
        decided = SuggestionStatus.ACCEPTED if action == "accept" else SuggestionStatus.DISMISSED
        assert found.status == (decided if expected == 200 else SuggestionStatus.OPEN)
        card = found.customer
        card.refresh_from_db()
        changed = expected == 200 and action == "accept"
        assert card.credit_limit == (found.suggested_limit if changed else found.current_limit)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_web_decisions_follow_the_policy(world: World, suggestions: dict, who: str, action: str) -> None:
    client = login(world.everyone[who])
    for owner, found in suggestions.items():
        response = client.post(reverse(f"sales:credit-review-{action}", args=[found.pk]), {"limit": "9000"})
        expected = _expected(who, owner)
        assert response.status_code == (302 if expected == 200 else expected), owner
        found.refresh_from_db()
        assert (found.status != SuggestionStatus.OPEN) == (expected == 200)
        card = found.customer
        card.refresh_from_db()
        assert (card.credit_limit == Decimal("9000")) == (expected == 200 and action == "accept")


@pytest.mark.parametrize("who", EVERYONE)
def test_get_on_the_decision_urls_is_refused(world: World, suggestions: dict, who: str) -> None:
    client = login(world.everyone[who])
    for action in ("accept", "dismiss"):
        assert client.get(reverse(f"sales:credit-review-{action}", args=[suggestions["alice"].pk])).status_code == 405
    assert api_as(world.everyone[who]).get(
        f"/api/v1/credit-suggestions/{suggestions['alice'].pk}/accept/").status_code in (404, 405)


def test_anonymous_visitors_are_sent_to_log_in(world: World, suggestions: dict) -> None:
    assert Client().get(reverse("sales:credit-review")).status_code == 302
    assert Client().post(reverse("sales:credit-review-dismiss", args=[suggestions["alice"].pk])).status_code == 302
    assert APIClient().get("/api/v1/credit-suggestions/").status_code in (401, 403)
    assert suggestions["alice"].status == SuggestionStatus.OPEN
