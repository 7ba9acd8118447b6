"""Access matrix for plans: every role of the world against every plan page and endpoint.

Who sees a plan follows the card (reps their own, managers their subtree, the rest everything);
drafting follows `scope.can_edit_plan` (sellers who may edit the card); deciding follows
`scope.can_approve_plan` (the subtree's manager, the director, the admin). Hidden is 404; visible
but not allowed is 403; what must not happen is checked to have left no trace.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kehu.sales.models import PlanStatus, SalesPlan
from kehu.sales.services.plans import plan_save, plan_submit
from kehu.sales.testing import make_product
from kehu.testing import PASSWORD, World, api_as, results

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)
USERS = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
SEES = {
    "alice": {"alice_card"}, "bob": {"bob_card"}, "carol": {"carol_card"}, "mia": {"alice_card", "bob_card"},
    "tom": {"carol_card"}, **{u: {"alice_card", "bob_card", "carol_card"} for u in ("dora", "fiona", "cathy", "aud", "ada")},
}
DRAFTS = {
    "alice": {"alice_card"}, "bob": {"bob_card"}, "carol": {"carol_card"}, "mia": {"alice_card", "bob_card"},
    "tom": {"carol_card"}, "dora": {"alice_card", "bob_card", "carol_card"}, "ada": {"alice_card", "bob_card", "carol_card"},
    "fiona": set(), "cathy": set(), "aud": set(),
}
DECIDES = {"mia": {"alice_card", "bob_card"}, "tom": {"carol_card"}, "dora": {"alice_card", "bob_card", "carol_card"},
           "ada": {"alice_card", "bob_card", "carol_card"}}
CARDS = ["alice_card", "bob_card", "carol_card"]
MAY_DRAFT_PAGES = {"alice", "bob", "carol", "mia", "tom", "dora", "ada"}
MAY_DECIDE_PAGES = {"mia", "tom", "dora", "ada"}


class Setup:
    def __init__(self, world: World) -> None:
        self.beer = make_product("B-500", "啤酒", "10.00")
        self.plans = {}
        for card, owner in (("alice_card", world.alice), ("bob_card", world.bob), ("carol_card", world.carol)):
            plan = plan_save(actor=owner, customer=getattr(world, card), month=NOV, lines=[(self.beer.pk, 1, 10, "")],
                             supports=[])
            self.plans[card] = plan_submit(actor=owner, plan_id=plan.pk, version=plan.version)
        # December plans stay drafts: they are what the edit tests change.
        self.drafts = {card: plan_save(actor=getattr(world, card.replace("_card", "")), customer=getattr(world, card),
                                       month="2026-12", lines=[], supports=[]) for card in CARDS}


@pytest.fixture
def setup(world: World) -> Setup:
    return Setup(world)


def web(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def expect(allowed: bool, visible: bool) -> int:
    return 200 if allowed else 403 if visible else 404


@pytest.mark.parametrize("name", USERS)
def test_pages(world: World, setup: Setup, name: str) -> None:
    user = world.everyone[name]
    client = web(user)
    overview = client.get(reverse("sales:plans"), {"month": "2026-11", "group_by": "customer"})
    assert overview.status_code == 200
    for card in CARDS:
        assert (getattr(world, card).name in overview.content.decode()) == (card in SEES[name]), card
    for card in CARDS:
        customer = getattr(world, card)
        page = client.get(reverse("sales:plan-edit", args=[customer.pk, "2026-12"]))
        assert page.status_code == (200 if card in SEES[name] else 404), card
        if page.status_code == 200:
            assert ("Save plan" in page.content.decode()) == (card in DRAFTS[name]), card
            submitted = client.get(reverse("sales:plan-edit", args=[customer.pk, "2026-11"])).content.decode()
            assert ("Approve" in submitted) == (card in DECIDES.get(name, set())), card
            assert ("Reopen to change" in submitted) == (card in DRAFTS[name]), card
    assert client.get(reverse("sales:plan-approvals")).status_code == (200 if name in MAY_DECIDE_PAGES else 403)
    for page in ("sales:plan-copy", "sales:plan-import"):
        assert client.get(reverse(page)).status_code == (200 if name in MAY_DRAFT_PAGES else 403), page
    assert client.get(reverse("sales:plan-import-template")).status_code == 200
    for card in CARDS:
        tab = client.get(reverse("customers:detail", args=[getattr(world, card).pk]), {"tab": "plans"})
        assert tab.status_code == (200 if card in SEES[name] else 404)
        if tab.status_code == 200:
            assert ("Edit this month's plan" in tab.content.decode()) == (card in DRAFTS[name])


@pytest.mark.parametrize("name", USERS)
def test_web_writes(world: World, setup: Setup, name: str) -> None:
    user = world.everyone[name]
    client = web(user)
    for card in CARDS:
        customer = getattr(world, card)
        draft = setup.drafts[card]
        response = client.post(reverse("sales:plan-edit", args=[customer.pk, "2026-12"]), {
            "version": draft.version, "line-0-product": setup.beer.pk, "line-0-quantity": "5", "line-0-amount": "50"})
        visible, allowed = card in SEES[name], card in DRAFTS[name]
        assert response.status_code == (302 if allowed else 403 if visible else 404), card
        assert SalesPlan.objects.get(pk=draft.pk).total_amount == (50 if allowed else 0)
        plan = setup.plans[card]
        decided = client.post(reverse("sales:plan-action", args=[plan.pk, "approve"]), {"version": plan.version})
        may = card in DECIDES.get(name, set())
        assert decided.status_code == (302 if may else 403 if visible else 404), card
        status = SalesPlan.objects.get(pk=plan.pk).status
        assert status == (PlanStatus.APPROVED if may and name != card.replace("_card", "") else PlanStatus.SUBMITTED)


@pytest.mark.parametrize("name", USERS)
def test_api(world: World, setup: Setup, name: str) -> None:
    user = world.everyone[name]
    api = api_as(user)
    seen = {row["customer"] for row in results(api.get("/api/v1/plans/"))}
    assert seen == {getattr(world, card).pk for card in SEES[name]}
    progress = api.get("/api/v1/plans/progress/", {"month": "2026-11", "group_by": "customer"}).json()
    assert {row["key"] for row in progress["results"]} == {getattr(world, card).pk for card in SEES[name]}
    for card in CARDS:
        customer, visible = getattr(world, card), card in SEES[name]
        plan, draft = setup.plans[card], setup.drafts[card]
        assert api.get(f"/api/v1/plans/{plan.pk}/").status_code == (200 if visible else 404)
        created = api.post("/api/v1/plans/", {"customer": customer.pk, "month": "2027-01", "lines": []})
        assert created.status_code == {200: 201}.get(expect(card in DRAFTS[name], visible), expect(card in DRAFTS[name], visible))
        patched = api.patch(f"/api/v1/plans/{draft.pk}/", {"version": draft.version, "note": "x"})
        assert patched.status_code == expect(card in DRAFTS[name], visible), card
        approved = api.post(f"/api/v1/plans/{plan.pk}/approve/", {"version": plan.version})
        assert approved.status_code == expect(card in DECIDES.get(name, set()), visible), card
        reopened = api.post(f"/api/v1/plans/{plan.pk}/reopen/", {"version": SalesPlan.objects.get(pk=plan.pk).version})
        assert reopened.status_code == expect(card in DRAFTS[name], visible), card
    text = f"客户编码,月份,商品编码,数量,金额\n{world.alice_card.code},2027-02,B-500,1,1\n"
    upload = SimpleUploadedFile("p.csv", text.encode())
    imported = api.post("/api/v1/plans/import/", {"file": upload}, format="multipart")
    wanted = 403 if name not in MAY_DRAFT_PAGES else 200 if "alice_card" in DRAFTS[name] else 400
    assert imported.status_code == wanted
    assert SalesPlan.objects.filter(month=date(2027, 2, 1)).exists() == (wanted == 200)


def test_anonymous_is_turned_away(world: World, setup: Setup) -> None:
    client = Client()
    for url in (reverse("sales:plans"), reverse("sales:plan-approvals"), reverse("sales:plan-copy"),
                reverse("sales:plan-import"), reverse("sales:plan-edit", args=[world.alice_card.pk, "2026-11"])):
        assert client.get(url).status_code == 302
    api = Client()
    assert api.get("/api/v1/plans/").status_code in (401, 403)
    assert api.get("/api/v1/plans/progress/").status_code in (401, 403)


def test_an_archived_card_takes_its_plans_out_of_reach(world: World, setup: Setup) -> None:
    from django.utils import timezone

    world.alice_card.archived_at = timezone.now()
    world.alice_card.save(update_fields=["archived_at"])
    assert world.alice_card.pk not in {row["customer"] for row in results(api_as(world.alice).get("/api/v1/plans/"))}
    plan = setup.plans["alice_card"]
    # Only the archive-seeing roles still see it, and nobody may decide it.
    assert api_as(world.mia).post(f"/api/v1/plans/{plan.pk}/approve/", {"version": plan.version}).status_code == 404
    assert api_as(world.ada).post(f"/api/v1/plans/{plan.pk}/approve/", {"version": plan.version}).status_code == 403
