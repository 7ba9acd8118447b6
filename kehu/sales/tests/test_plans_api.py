"""`/api/v1/plans/`: list and filters, nested create/update with versions, the workflow actions, progress,
import; 400 field maps, 409 with the current plan, and no 500 whatever the input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.sales.models import SalesPlan
from kehu.sales.services.plans import plan_save
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db
URL = "/api/v1/plans/"
NOV = date(2026, 11, 1)


@pytest.fixture
def beer(db: None) -> Any:
    return make_product("B-500", "啤酒", "10.00", spec="500ml×12")


def body(world: World, beer: Any, **extra: Any) -> dict[str, Any]:
    return {
        "customer": world.alice_card.pk, "month": "2026-11", "note": "双十一",
        "lines": [{"product": beer.pk, "quantity": "30", "amount": "3000.50", "schedule": "上旬"}],
        "supports": [{"kind": "promotion", "description": "买十送一", "cost": "150.10"}], **extra,
    }


def test_create_retrieve_and_list_with_filters(world: World, beer: Any) -> None:
    alice = api_as(world.alice)
    created = alice.post(URL, body(world, beer))
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert (plan["month"], plan["status"], plan["total_amount"], plan["support_cost"], plan["version"]) == (
        "2026-11", "draft", "3000.50", "150.10", 1)
    assert plan["lines"][0] | {"id": 0} == {"id": 0, "product": beer.pk, "product_sku": "B-500",
                                            "product_name": "啤酒 500ml×12", "quantity": "30.000", "amount": "3000.50",
                                            "schedule": "上旬"}
    assert alice.get(f"{URL}{plan['id']}/").json() == plan
    plan_save(actor=world.carol, customer=world.carol_card, month="2026-12", lines=[], supports=[])
    assert [p["id"] for p in results(alice.get(URL))] == [plan["id"]]
    dora = api_as(world.dora)
    assert len(results(dora.get(URL))) == 2
    assert [p["month"] for p in results(dora.get(URL, {"month": "2026-12"}))] == ["2026-12"]
    assert [p["customer"] for p in results(dora.get(URL, {"customer": world.alice_card.pk}))] == [world.alice_card.pk]
    assert results(dora.get(URL, {"status": "approved"})) == []
    assert dora.get(URL, {"month": "2026-13"}).json() == {"month": ["Enter a month as YYYY-MM."]}
    again = alice.post(URL, body(world, beer))
    assert again.status_code == 400 and list(again.json()) == ["month"]


def test_create_answers_field_maps(world: World, beer: Any) -> None:
    alice = api_as(world.alice)
    bad = alice.post(URL, body(world, beer, month="Nov", lines=[{"product": beer.pk, "quantity": "-1", "amount": "x"}],
                                supports=[{"kind": "bribe"}]))
    assert bad.status_code == 400
    errors = bad.json()
    assert set(errors) == {"month", "lines", "supports"}
    assert set(errors["lines"]["0"]) == {"quantity", "amount"} and set(errors["supports"]["0"]) == {"kind"}
    missing = alice.post(URL, body(world, beer, lines=[{"product": 999999, "quantity": "1", "amount": "1"}]))
    assert missing.status_code == 400 and missing.json() == {
        "lines": {"0": {"product": ["Choose a product from the catalogue (active products only)."]}}}
    assert alice.post(URL, body(world, beer, colour="red")).json() == {"colour": ["Unknown field."]}
    assert api_as(world.bob).post(URL, body(world, beer)).status_code == 404
    assert api_as(world.fiona).post(URL, body(world, beer)).status_code == 403
    assert not SalesPlan.objects.exists()


def test_update_needs_the_version_and_answers_409_with_the_current_plan(world: World, beer: Any) -> None:
    alice = api_as(world.alice)
    plan = alice.post(URL, body(world, beer)).json()
    url = f"{URL}{plan['id']}/"
    assert alice.put(url, {"lines": []}).json() == {
        "version": ["Send the version you edited so concurrent edits are caught."]}
    changed = alice.patch(url, {"version": 1, "lines": [{"product": beer.pk, "quantity": "2", "amount": "20"}]})
    assert changed.status_code == 200
    kept = changed.json()
    assert (kept["total_amount"], kept["support_cost"], kept["note"]) == ("20.00", "150.10", "双十一")
    stale = api_as(world.mia).put(url, {"version": 1, "lines": []})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2 and stale.json()["current"]["total_amount"] == "20.00"
    assert alice.put(url, {"version": 2, "note": "x"}).json() == {
        "lines": ["Send the plan's lines (an empty list removes them all)."]}
    assert alice.patch(url, {"version": 2, "month": "2026-12"}).status_code == 400
    replaced = alice.put(url, {"version": 2, "lines": [], "supports": []})
    assert replaced.status_code == 200 and replaced.json()["total_amount"] == "0.00" and replaced.json()["note"] == ""


def test_the_workflow_actions_and_the_lock(world: World, beer: Any) -> None:
    alice, mia = api_as(world.alice), api_as(world.mia)
    plan = alice.post(URL, body(world, beer)).json()
    url = f"{URL}{plan['id']}/"
    submitted = alice.post(f"{url}submit/", {"version": 1})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    locked = alice.patch(url, {"version": 2, "lines": []})
    assert locked.status_code == 400 and list(locked.json()) == ["status"]
    assert mia.post(f"{url}approve/", {"version": 1}).status_code == 409
    assert alice.post(f"{url}approve/", {"version": 2}).status_code == 403
    assert api_as(world.tom).post(f"{url}approve/", {"version": 2}).status_code == 404
    assert mia.post(f"{url}return/", {"version": 2}).json() == {"reason": ["Say what should change."]}
    approved = mia.post(f"{url}approve/", {"version": 2, "note": "好"})
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == world.mia.pk
    assert mia.post(f"{url}submit/", {"version": 3}).status_code == 400
    reopened = alice.post(f"{url}reopen/", {"version": 3, "reason": "加货"})
    assert reopened.json()["status"] == "draft"
    assert alice.patch(url, {"version": 4, "lines": []}).status_code == 200
    assert alice.post(f"{url}submit/", {"version": 5}).json() == {"lines": ["Add at least one product line before submitting."]}
    assert alice.post(f"{url}submit/", {"version": "x"}).status_code == 400
    assert alice.post(f"{url}submit/", {}).status_code == 400


def test_progress(world: World, beer: Any) -> None:
    plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 100, "1000.00", "")], supports=[])
    make_booked_order(world.alice_card, [(beer, 25, "10")], order_date=date(2026, 11, 3))
    response = api_as(world.mia).get(f"{URL}progress/", {"month": "2026-11", "group_by": "rep"})
    assert response.status_code == 200
    data = response.json()
    assert (data["first_month"], data["count"], data["totals"]["planned_amount"], data["totals"]["actual_amount"]) == (
        "2026-11", 1, "1000.00", "250.00")
    assert data["results"][0]["key"] == world.alice.pk and data["results"][0]["attainment"] == "25.0"
    ytd = api_as(world.mia).get(f"{URL}progress/", {"month": "2026-11", "period": "ytd", "group_by": "month"}).json()
    assert [r["key"] for r in ytd["results"]][-1] == "2026-11" and len(ytd["results"]) == 11
    assert api_as(world.carol).get(f"{URL}progress/", {"month": "2026-11"}).json()["count"] == 0
    refused = api_as(world.tom).get(f"{URL}progress/", {"org_unit": world.beijing.pk})
    assert refused.status_code == 400 and list(refused.json()) == ["org_unit"]
    assert api_as(world.dora).get(f"{URL}progress/", {"group_by": "month"}).status_code == 400


def test_import_endpoint(world: World, beer: Any) -> None:
    def upload(text: str) -> SimpleUploadedFile:
        return SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv")

    alice = api_as(world.alice)
    good = f"客户编码,月份,商品编码,数量,金额\n{world.alice_card.code},2026-11,B-500,3,30\n"
    checked = alice.post(f"{URL}import/", {"file": upload(good), "dry_run": "true"}, format="multipart")
    assert checked.status_code == 200 and checked.json()["dry_run"] is True and not SalesPlan.objects.exists()
    done = alice.post(f"{URL}import/", {"file": upload(good)}, format="multipart")
    assert done.status_code == 200 and done.json()["created"] == 1
    hidden = f"客户编码,月份,商品编码,数量,金额\n{world.carol_card.code},2026-11,B-500,3,30\n"
    bad = alice.post(f"{URL}import/", {"file": upload(hidden)}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 2, "column": "Customer code", "value": world.carol_card.code,
                                     "message": "No customer with this code among the cards you can see."}]
    assert alice.post(f"{URL}import/", {}, format="multipart").status_code == 400
    assert api_as(world.aud).post(f"{URL}import/", {"file": upload(good)}, format="multipart").status_code == 403
    assert alice.get(f"{URL}import-template/").content[:2] == b"PK"


JUNK = [None, "", "x" * 3000, -1, 10**30, 1e308, "1e400", "NaN", True, [1, "a"], {"a": {"b": []}}, "2024-13-45\x00"]


def test_junk_never_answers_500(world: World, beer: Any) -> None:
    ada = api_as(world.ada)
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[], supports=[])
    url = f"{URL}{plan.pk}/"
    for junk in JUNK:
        for payload in (
            {"customer": junk, "month": "2026-11"}, {"customer": world.alice_card.pk, "month": junk},
            {"customer": world.alice_card.pk, "month": "2027-01", "lines": junk},
            {"customer": world.alice_card.pk, "month": "2027-02", "lines": [{"product": junk, "quantity": junk, "amount": junk}]},
            {"customer": world.alice_card.pk, "month": "2027-03", "supports": [{"kind": junk, "cost": junk}]},
            {"customer": world.alice_card.pk, "month": "2027-04", "note": junk},
        ):
            assert ada.post(URL, payload).status_code < 500, payload
        for payload in ({"version": junk, "lines": []}, {"version": plan.version, "lines": [junk]}, {"note": junk}):
            assert ada.patch(url, payload).status_code < 500, payload
        for name in ("submit", "approve", "return", "reopen"):
            assert ada.post(f"{url}{name}/", {"version": junk, "reason": junk, "note": junk}).status_code < 500
        text = str(junk)[:200]
        for params in ({"month": text}, {"customer": text}, {"status": text}, {"cursor": text}, {"ordering": text}):
            assert ada.get(URL, params).status_code < 500, params
        for params in ({"month": text}, {"group_by": text}, {"org_unit": text}, {"rep": text}, {"behind": text},
                       {"limit": text}, {"offset": text}, {"period": text}):
            assert ada.get(f"{URL}progress/", params).status_code < 500, params
    for raw in ("[1, 2]", '"text"', "42", "null", "{not json"):
        assert ada.generic("POST", URL, raw, content_type="application/json").status_code == 400
        assert ada.generic("PATCH", url, raw, content_type="application/json").status_code == 400
    for bad_id in ("0", "99999999999999999999", "abc"):
        assert ada.get(f"{URL}{bad_id}/").status_code == 404
        assert ada.post(f"{URL}{bad_id}/submit/", {"version": 1}).status_code == 404
