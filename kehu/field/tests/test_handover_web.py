"""Handover pages: list, new leave/departure, detail with the item table and buttons, PDF; access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.field.models import Handover, HandoverState
from kehu.field.services import handover as services
from kehu.testing import World, make_customer

TODAY = timezone.localdate()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def departure(world: World, successors=None) -> Handover:
    return services.handover_departure_create(actor=world.mia, rep=world.alice,
                                              successors=successors or [world.bob, world.mia])


def test_the_manager_sees_the_list_with_the_new_buttons(world: World):
    handover = departure(world)
    page = client_for(world.mia).get(reverse("field:handovers"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("field:handover-new-leave") in html and reverse("field:handover-new-departure") in html
    assert reverse("field:handover", args=[handover.pk]) in html


def test_a_rep_sees_what_waits_for_their_acknowledgement_and_no_new_buttons(world: World):
    handover = departure(world, [world.bob])
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    html = client_for(world.bob).get(reverse("field:handovers")).content.decode()
    assert reverse("field:handover-new-leave") not in html
    assert f'href="{reverse("field:handover", args=[handover.pk])}"' in html
    assert client_for(world.carol).get(reverse("field:handovers")).content.decode().count(f"#{handover.pk}") == 0


def test_creating_a_leave_from_the_form(world: World):
    response = client_for(world.mia).post(reverse("field:handover-new-leave"), {
        "rep": world.alice.pk, "delegate": world.bob.pk, "starts_on": str(TODAY),
        "ends_on": str(TODAY + timedelta(days=2)), "note": "年假"})
    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("field:handover", args=[handover.pk])
    assert (handover.kind, handover.status, handover.note) == ("leave", HandoverState.APPLIED, "年假")


def test_the_leave_form_shows_field_errors(world: World):
    response = client_for(world.mia).post(reverse("field:handover-new-leave"), {
        "rep": world.alice.pk, "delegate": world.alice.pk, "starts_on": str(TODAY), "ends_on": str(TODAY)})
    assert response.status_code == 400
    assert "Choose someone other than the rep who hands over." in response.content.decode()
    assert not Handover.objects.exists()


def test_departure_from_the_pages_assign_apply_acknowledge(world: World):
    second = make_customer("丰台西店", world.alice, world.beijing)
    mia = client_for(world.mia)
    response = mia.post(reverse("field:handover-new-departure"), {
        "rep": world.alice.pk, "successors": [world.bob.pk, world.mia.pk], "starts_on": str(TODAY)})
    handover = Handover.objects.get()
    assert response.status_code == 302
    detail = mia.get(reverse("field:handover", args=[handover.pk])).content.decode()
    assert f'name="successor-{second.pk}"' in detail and "北京海淀区单氏副食店" in detail
    act = reverse("field:handover-action", args=[handover.pk, "assign"])
    mia.post(act, {"version": 1, f"successor-{world.alice_card.pk}": world.bob.pk, f"successor-{second.pk}": world.bob.pk})
    mia.post(reverse("field:handover-action", args=[handover.pk, "apply"]), {"version": 2})
    assert set(Customer.objects.filter(pk__in=[world.alice_card.pk, second.pk]).values_list("owner", flat=True)) == {
        world.bob.pk}
    bob = client_for(world.bob)
    assert 'id="acknowledge"' in bob.get(reverse("field:handover", args=[handover.pk])).content.decode()
    bob.post(reverse("field:handover-action", args=[handover.pk, "acknowledge"]))
    handover.refresh_from_db()
    assert handover.status == HandoverState.ACKNOWLEDGED


def test_a_stale_button_changes_nothing(world: World):
    handover = departure(world)
    page = client_for(world.mia).post(reverse("field:handover-action", args=[handover.pk, "apply"]), {"version": 7},
                                      follow=True)
    assert "Someone changed this handover meanwhile" in page.content.decode()
    handover.refresh_from_db()
    assert handover.status == HandoverState.DRAFT


def test_the_report_pdf(world: World):
    handover = departure(world)
    response = client_for(world.mia).get(reverse("field:handover-report", args=[handover.pk]))
    if response.status_code == 503:
        pytest.skip("WeasyPrint/Pango not installed")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_access_to_the_pages(world: World):
    handover = departure(world)
    assert client_for(world.bob).get(reverse("field:handover-new-leave")).status_code == 403
    assert client_for(world.bob).get(reverse("field:handover-new-departure")).status_code == 403
    for user in (world.tom, world.carol, world.bob):  # bob is proposed in the draft, but a draft is not his yet
        assert client_for(user).get(reverse("field:handover", args=[handover.pk])).status_code == 404
    for user in (world.tom, world.carol):
        client = client_for(user)
        assert client.get(reverse("field:handover-report", args=[handover.pk])).status_code == 404
        assert client.post(reverse("field:handover-action", args=[handover.pk, "apply"]), {"version": 1}).status_code == 404
    assert client_for(world.bob).post(
        reverse("field:handover-action", args=[handover.pk, "apply"]), {"version": 1}).status_code == 404
    handover.refresh_from_db()
    assert handover.status == HandoverState.DRAFT
    assert Client().get(reverse("field:handovers")).status_code == 302


def test_the_detail_page_does_not_query_per_item(world: World):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        handover = departure(world)
        with CaptureQueriesContext(connection) as captured:
            assert client_for(world.mia).get(reverse("field:handover", args=[handover.pk])).status_code == 200
        services.handover_cancel(actor=world.mia, handover_id=handover.pk, version=handover.version)
        return len(captured)

    few = queries()
    for n in range(8):
        make_customer(f"新店{n}", world.alice, world.beijing)
    assert queries() == few


def test_the_new_forms_offer_only_the_managers_team(world: World):
    for name in ("field:handover-new-leave", "field:handover-new-departure"):
        page = client_for(world.mia).get(reverse(name))
        assert page.status_code == 200
        html = page.content.decode()
        assert f'value="{world.alice.pk}"' in html and f'value="{world.bob.pk}"' in html
        assert f'value="{world.carol.pk}"' not in html and f'value="{world.fiona.pk}"' not in html
