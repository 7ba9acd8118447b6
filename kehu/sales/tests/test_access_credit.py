"""Access matrix of credit control: the hold queue pages and API, decisions, the settings page and API.

Everyone sees the holds of the cards they see. Deciding: finance, the director and admins for all
cards, a manager for the subtree; reps, the custodian and the auditor never. The policy and the
lifecycle rules: everyone reads; admins write.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kehu.sales.models import CreditHold, CreditPolicy, HoldStatus, LifecycleRule
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import make_product
from kehu.testing import PASSWORD, World, api_as, results

pytestmark = pytest.mark.django_db

EVERYONE = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol"}, "mia": {"alice", "bob"}, "tom": {"carol"},
    "dora": {"alice", "bob", "carol"}, "fiona": {"alice", "bob", "carol"}, "cathy": {"alice", "bob", "carol"},
    "aud": {"alice", "bob", "carol"}, "ada": {"alice", "bob", "carol"},
}
DECIDES_ALICE = {"mia", "dora", "fiona", "ada"}


def login(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def holds(world: World) -> dict[str, CreditHold]:
    beer = make_product("BEER-01", "青岛啤酒", "10.00")
    made = {}
    for owner in ("alice", "bob", "carol"):
        card = getattr(world, f"{owner}_card")
        card.credit_limit = Decimal("5")
        card.save()
        order = order_create(actor=getattr(world, owner), customer=card,
                             lines=[LineInput(product_id=beer.pk, quantity=Decimal(1))])
        made[owner] = CreditHold.objects.get(order=order_confirm(actor=getattr(world, owner), order=order))
    return made


@pytest.mark.parametrize("who", EVERYONE)
def test_queue_page_and_api_list_exactly_the_visible_holds(world: World, holds: dict, who: str) -> None:
    user = world.everyone[who]
    page = login(user).get(reverse("sales:holds"))
    assert page.status_code == 200
    assert {h.pk for h in page.context["pending"]} == {holds[o].pk for o in SEES[who]}
    html = page.content.decode()
    for owner, hold in holds.items():
        assert (hold.order.number in html) == (owner in SEES[who])
        decide_url = reverse("sales:hold-decide", args=[hold.pk])
        may = owner == "alice" and who in DECIDES_ALICE
        if owner == "alice":
            assert (decide_url in html) == may
    assert {r["id"] for r in results(api_as(user).get("/api/v1/credit-holds/"))} == {holds[o].pk for o in SEES[who]}


@pytest.mark.parametrize("who", EVERYONE)
def test_hold_detail_page_and_api(world: World, holds: dict, who: str) -> None:
    user = world.everyone[who]
    for owner, hold in holds.items():
        expected = 200 if owner in SEES[who] else 404
        assert login(user).get(reverse("sales:hold-detail", args=[hold.pk])).status_code == expected
        assert api_as(user).get(f"/api/v1/credit-holds/{hold.pk}/").status_code == expected


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("channel", ["web", "api"])
def test_deciding_alices_hold(world: World, holds: dict, who: str, channel: str) -> None:
    user = world.everyone[who]
    hold = holds["alice"]
    if channel == "web":
        status = login(user).post(reverse("sales:hold-decide", args=[hold.pk]),
                                  {"decision": "reject", "reason": "先回款"}).status_code
        allowed = 302
    else:
        status = api_as(user).post(f"/api/v1/credit-holds/{hold.pk}/reject/", {"reason": "先回款"}).status_code
        allowed = 200
    if "alice" not in SEES[who]:
        assert status == 404
    elif who in DECIDES_ALICE:
        assert status == allowed
    else:
        assert status == 403
    hold.refresh_from_db()
    assert (hold.status == HoldStatus.REJECTED) == (who in DECIDES_ALICE)


@pytest.mark.parametrize("who", EVERYONE)
def test_approve_through_the_api(world: World, holds: dict, who: str) -> None:
    response = api_as(world.everyone[who]).post(f"/api/v1/credit-holds/{holds['carol'].pk}/approve/", {"reason": "ok"})
    decides_carol = {"tom", "dora", "fiona", "ada"}
    expected = 200 if who in decides_carol else (403 if "carol" in SEES[who] else 404)
    assert response.status_code == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_settings_page_and_api(world: World, who: str) -> None:
    user = world.everyone[who]
    client = login(user)
    assert client.get(reverse("sales:credit-policy")).status_code == 200
    policy, rule = CreditPolicy.objects.get(rating="A"), LifecycleRule.objects.get(tier="A")
    form = {f"limit_{p.pk}": str(p.default_limit) for p in CreditPolicy.objects.all()}
    form |= {f"overdue_{p.pk}": p.max_overdue_days for p in CreditPolicy.objects.all()}
    form |= {f"dormant_{r.pk}": r.dormant_after_days for r in LifecycleRule.objects.all()}
    form[f"limit_{policy.pk}"] = "123.00"
    posted = client.post(reverse("sales:credit-policy"), form).status_code
    api = api_as(user)
    assert api.get("/api/v1/credit-policies/").status_code == 200
    assert api.get("/api/v1/lifecycle-rules/").status_code == 200
    patched = api.patch(f"/api/v1/credit-policies/{policy.pk}/", {"max_overdue_days": 7}).status_code
    ruled = api.patch(f"/api/v1/lifecycle-rules/{rule.pk}/", {"dormant_after_days": 7}).status_code
    policy.refresh_from_db()
    rule.refresh_from_db()
    if who == "ada":
        assert (posted, patched, ruled) == (302, 200, 200)
        assert (policy.default_limit, policy.max_overdue_days, rule.dormant_after_days) == (Decimal("123.00"), 7, 7)
    else:
        assert (posted, patched, ruled) == (403, 403, 403)
        assert (policy.default_limit, policy.max_overdue_days, rule.dormant_after_days) == (Decimal("500000.00"), 60, 60)


def test_anonymous_is_sent_to_log_in(world: World, holds: dict) -> None:
    client = Client()
    for url in (reverse("sales:holds"), reverse("sales:hold-detail", args=[holds["alice"].pk]),
                reverse("sales:credit-policy")):
        assert client.get(url).status_code == 302
    assert client.post(reverse("sales:hold-decide", args=[holds["alice"].pk]), {}).status_code == 302
