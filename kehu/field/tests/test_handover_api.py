"""`/api/v1/handovers/`: create, suggest, assign, apply, cancel, acknowledge, report; errors and access."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Customer
from kehu.testing import World, api_as, make_customer, results

TODAY = timezone.localdate()
URL = "/api/v1/handovers/"


def create_leave(world: World, user=None, **kw):
    body = {"kind": "leave", "rep": world.alice.pk, "delegate": world.bob.pk, "starts_on": str(TODAY),
            "ends_on": str(TODAY + timedelta(days=3))}
    body.update(kw)
    return api_as(user or world.mia).post(URL, body)


def create_departure(world: World, user=None, **kw):
    body = {"kind": "departure", "rep": world.alice.pk, "successors": [world.bob.pk, world.mia.pk]}
    body.update(kw)
    return api_as(user or world.mia).post(URL, body)


def test_a_manager_creates_a_leave_and_the_delegate_sees_the_card(world: World):
    response = create_leave(world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], len(body["items"])) == ("leave", "applied", 1)
    assert body["items"][0]["customer_name"] == "北京海淀区单氏副食店" and body["items"][0]["grant"]
    ids = [row["id"] for row in results(api_as(world.bob).get("/api/v1/customers/"))]
    assert world.alice_card.pk in ids


@pytest.mark.parametrize(("kw", "field"), [
    ({"ends_on": str(TODAY - timedelta(days=2)), "starts_on": str(TODAY - timedelta(days=1))}, "ends_on"),
    ({"delegate": None}, "delegate"),
    ({"delegate": "alice"}, "delegate"),
    ({"delegate": "carol"}, "delegate"),
    ({"rep": "x"}, "rep"),
    ({"colour": "red"}, "colour"),
])
def test_bad_leave_input_answers_400_with_the_field(world: World, kw, field):
    kw = {k: (getattr(world, v).pk if k == "delegate" and isinstance(v, str) else v) for k, v in kw.items()}
    if kw.get("delegate", 0) is None:
        kw.pop("delegate")
        response = api_as(world.mia).post(URL, {"kind": "leave", "rep": world.alice.pk, "starts_on": str(TODAY),
                                                "ends_on": str(TODAY)})
    else:
        response = create_leave(world, **kw)
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_departure_flow_over_the_api(world: World):
    second = make_customer("丰台西店", world.alice, world.beijing)
    created = create_departure(world)
    assert created.status_code == 201, created.json()
    handover = created.json()
    url = f"{URL}{handover['id']}/"
    assigned = api_as(world.mia).post(f"{url}assign/", {"version": handover["version"], "items": [
        {"customer": world.alice_card.pk, "successor": world.bob.pk}, {"customer": second.pk, "successor": world.mia.pk}]})
    assert assigned.status_code == 200, assigned.json()
    stale = api_as(world.mia).post(f"{url}apply/", {"version": handover["version"]})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == handover["version"] + 1
    applied = api_as(world.mia).post(f"{url}apply/", {"version": assigned.json()["version"]})
    assert applied.status_code == 200, applied.json()
    assert applied.json()["status"] == "applied"
    assert Customer.objects.get(pk=world.alice_card.pk).owner == world.bob
    assert Customer.objects.get(pk=second.pk).owner == world.mia
    # bob sees his item only, and the handover in his "awaiting" list
    mine = api_as(world.bob).get(url).json()["items"]
    assert [i["customer"] for i in mine] == [world.alice_card.pk]
    awaiting = results(api_as(world.bob).get(URL, {"awaiting": "true"}))
    assert [row["id"] for row in awaiting] == [handover["id"]]
    assert api_as(world.bob).post(f"{url}acknowledge/").status_code == 200
    assert api_as(world.mia).post(f"{url}acknowledge/").json()["status"] == "acknowledged"


def test_suggest_over_the_api(world: World):
    handover = create_departure(world).json()
    response = api_as(world.mia).post(f"{URL}{handover['id']}/suggest/",
                                      {"version": handover["version"], "successors": [world.bob.pk]})
    assert response.status_code == 200, response.json()
    assert {i["successor"] for i in response.json()["items"]} == {world.bob.pk}


def test_report_pdf_has_the_chinese_name_and_the_receivable(world: World):
    pypdf = pytest.importorskip("pypdf")
    from kehu.sales.testing import make_booked_order, make_product

    make_booked_order(world.alice_card, [(make_product("P1", "酱油"), 3, "12.50")], due_date=TODAY + timedelta(days=5))
    handover = create_departure(world).json()
    api_as(world.mia).post(f"{URL}{handover['id']}/apply/", {"version": handover["version"]})
    response = api_as(world.mia).get(f"{URL}{handover['id']}/report/")
    if response.status_code == 503:
        pytest.skip("WeasyPrint/Pango not installed")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "北京海淀区单氏副食店" in text and "37.50" in text
    assert AuditEvent.objects.filter(action=AuditAction.PRINT, object_id=handover["id"]).count() == 1


def test_access_over_the_api(world: World):
    leave_id = create_leave(world).json()["id"]
    assert create_leave(world, user=world.bob).status_code == 403  # a rep arranges no handover
    assert create_leave(world, user=world.tom).json() == {"rep": ["No such user."]}
    for user in (world.tom, world.carol):
        client = api_as(user)
        assert client.get(f"{URL}{leave_id}/").status_code == 404
        assert client.post(f"{URL}{leave_id}/cancel/", {"version": 1}).status_code == 404
        assert client.get(f"{URL}{leave_id}/report/").status_code == 404
        assert results(client.get(URL)) == []
    # the rep on leave sees their own handover but may not end it
    assert api_as(world.alice).get(f"{URL}{leave_id}/").status_code == 200
    assert api_as(world.alice).post(f"{URL}{leave_id}/cancel/", {"version": 1}).status_code == 403
    # the delegate sees it (a successor) but may not cancel it
    assert api_as(world.bob).post(f"{URL}{leave_id}/cancel/", {"version": 1}).status_code == 404
    assert api_as(world.mia).post(f"{URL}{leave_id}/cancel/", {"version": 1}).status_code == 200
    assert api_as(world.tom).get(f"{URL}abc/").status_code == 404


@pytest.mark.parametrize("body", [
    {}, [], {"kind": "holiday", "rep": 1}, {"kind": "leave", "rep": 2**70, "delegate": 1},
    {"kind": "departure", "rep": 1, "successors": "abc"}, {"kind": "departure", "rep": 1, "successors": []},
    {"kind": "leave", "rep": 1, "delegate": 2, "starts_on": "2026-02-30", "ends_on": "x"},
    {"kind": "departure", "rep": 1, "successors": [999999]},
])
def test_bad_bodies_answer_400_never_500(world: World, body):
    response = api_as(world.mia).post(URL, body, format="json")
    assert response.status_code == 400, response.content


def test_bad_action_bodies_answer_400_or_404(world: World):
    handover = create_departure(world).json()
    client = api_as(world.mia)
    url = f"{URL}{handover['id']}/"
    assert client.post(f"{url}assign/", {"version": 1, "items": "x"}).status_code == 400
    assert client.post(f"{url}assign/", {"version": 1, "items": [{"customer": 999999, "successor": world.bob.pk}]}
                       ).json() == {"assignments": ["Customer 999999 is not in this handover."]}
    assert client.post(f"{url}assign/", {"version": 1, "items": [
        {"customer": world.alice_card.pk, "successor": world.carol.pk}]}).json() == {"assignments": ["No such user."]}
    assert client.post(f"{url}apply/", {"version": "x"}).status_code == 400
    assert client.post(f"{url}apply/", {}).status_code == 400
    assert client.get(f"{url}report/", {"successor": "abc"}).status_code == 404
    assert client.get(f"{URL}{2**70}/").status_code == 404


def test_the_successors_report_has_only_their_cards(world: World):
    pypdf = pytest.importorskip("pypdf")
    second = make_customer("丰台西店", world.alice, world.beijing)
    handover = create_departure(world).json()
    client = api_as(world.mia)
    client.post(f"{URL}{handover['id']}/assign/", {"version": 1, "items": [
        {"customer": world.alice_card.pk, "successor": world.bob.pk}, {"customer": second.pk, "successor": world.mia.pk}]})
    client.post(f"{URL}{handover['id']}/apply/", {"version": 2})

    def text(user, **params) -> str:
        response = api_as(user).get(f"{URL}{handover['id']}/report/", params)
        if response.status_code == 503:
            pytest.skip("WeasyPrint/Pango not installed")
        return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)

    assert "丰台西店" in text(world.mia, successor=world.mia.pk)
    assert "北京海淀区单氏副食店" not in text(world.mia, successor=world.mia.pk)
    bobs = text(world.bob)  # a successor prints only their own cards
    assert "北京海淀区单氏副食店" in bobs and "丰台西店" not in bobs
