"""The day pages: only today's cards (a visible card off today's list is 404), check-in and report
through the forms, the visit pack PDF, unreturned visits for managers, the card's Visits tab."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Contact
from kehu.field.models import Visit, VisitStatus
from kehu.field.testing import BEIJING, make_visit, place
from kehu.sales.models import CustomerMonth, SalesPlan
from kehu.testing import PASSWORD, World

pytestmark = pytest.mark.django_db
TAM = BEIJING["tiananmen"]


def client_of(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)  # type: ignore[attr-defined]
    return client


def today() -> date:
    return timezone.localdate()


def test_the_day_shows_only_todays_cards_in_route_order(world: World):
    from kehu.testing import make_customer

    second = make_customer("海淀区二号店", world.alice, world.beijing, address="海淀路2号")
    third = make_customer("海淀区三号店", world.alice, world.beijing)
    make_visit(second, world.alice, sequence=2)
    make_visit(world.alice_card, world.alice, sequence=1)
    make_visit(third, world.alice, today() - timedelta(days=3))  # another day: not carried (never started)
    html = client_of(world.alice).get(reverse("field:today")).content.decode()
    assert html.index(world.alice_card.name) < html.index(second.name)
    assert third.name not in html
    assert "单立新" in html and "13812345678" in html  # the card's contacts come along
    main = html.split("<main", 1)[1]
    links = set(re.findall(r'href="([^"]*)"', main))
    assert links and all(link.startswith(("/field/today/", "tel:")) for link in links), links  # nowhere else
    seen = AuditEvent.objects.get(action=AuditAction.VIEW, actor=world.alice)
    assert seen.detail == {"what": "day", "day": f"{today():%Y-%m-%d}",
                           "customers": [world.alice_card.pk, second.pk]}


def test_a_card_off_todays_list_is_not_found_even_if_visible(world: World):
    old = make_visit(world.alice_card, world.alice, today() - timedelta(days=7))
    alice = client_of(world.alice)
    assert alice.get(reverse("field:day-visit", args=[old.pk])).status_code == 404
    assert alice.post(reverse("field:day-check-in", args=[old.pk]), {"lat": 1, "lng": 1, "version": 1}).status_code == 404
    today_visit = make_visit(world.alice_card, world.alice)
    assert alice.get(reverse("field:day-visit", args=[today_visit.pk])).status_code == 200
    # Bob's visit of his own card today: alice cannot see it; carol cannot see alice's.
    bobs = make_visit(world.bob_card, world.bob)
    assert alice.get(reverse("field:day-visit", args=[bobs.pk])).status_code == 404
    carol = client_of(world.carol)
    for name in ("field:day-visit", "field:day-report"):
        assert carol.get(reverse(name, args=[today_visit.pk])).status_code == 404
    # Mia (manager) sees alice's card elsewhere, but it is not on her day.
    assert client_of(world.mia).get(reverse("field:day-visit", args=[today_visit.pk])).status_code == 404


def test_an_unreported_visit_of_an_earlier_day_is_still_carried(world: World):
    old = make_visit(world.alice_card, world.alice, today() - timedelta(days=1), status=VisitStatus.CHECKED_IN,
                     checkin_at=timezone.now() - timedelta(hours=20))
    alice = client_of(world.alice)
    html = alice.get(reverse("field:today")).content.decode()
    assert "Still to hand back" in html and world.alice_card.name in html
    assert alice.get(reverse("field:day-report", args=[old.pk])).status_code == 200


def test_day_pages_are_for_reps_and_managers(world: World):
    for user in (world.fiona, world.aud, world.cathy):
        client = client_of(user)
        assert client.get(reverse("field:today")).status_code == 403
        assert client.get(reverse("field:day-pack")).status_code == 403
    assert client_of(world.mia).get(reverse("field:today")).status_code == 200
    assert Client().get(reverse("field:today")).status_code == 302


def test_only_today_and_tomorrow_are_days(world: World):
    alice = client_of(world.alice)
    tomorrow = today() + timedelta(days=1)
    visit = make_visit(world.alice_card, world.alice, tomorrow)
    page = alice.get(reverse("field:today"), {"day": f"{tomorrow:%Y-%m-%d}"})
    assert page.status_code == 200 and world.alice_card.name in page.content.decode()
    assert alice.get(reverse("field:day-visit", args=[visit.pk])).status_code == 200
    for day in (f"{today() - timedelta(days=1):%Y-%m-%d}", "2026-13-01", "x"):
        assert alice.get(reverse("field:today"), {"day": day}).status_code == 404


def test_check_in_form_and_position_offer(world: World):
    visit = make_visit(world.alice_card, world.alice)
    alice = client_of(world.alice)
    bad = alice.post(reverse("field:day-check-in", args=[visit.pk]), {"lat": "95", "lng": "", "version": "1"})
    assert bad.status_code == 400
    assert "Enter a value between -90 and 90." in bad.content.decode()
    ok = alice.post(reverse("field:day-check-in", args=[visit.pk]), {"lat": TAM[0], "lng": TAM[1], "accuracy": "8",
                                                                      "version": "1"})
    assert ok.status_code == 302
    page = alice.get(ok.url).content.decode()
    assert "Set this card&#x27;s position here" in page or "Set this card's position here" in page
    stale = alice.post(reverse("field:day-check-in", args=[visit.pk]), {"lat": TAM[0], "lng": TAM[1], "version": "1"})
    assert stale.status_code == 409
    moved = alice.post(reverse("field:day-set-position", args=[visit.pk]), {"card_version": world.alice_card.version})
    assert moved.status_code == 302
    world.alice_card.refresh_from_db()
    assert (world.alice_card.lat, world.alice_card.geo_precision) == (Decimal("39.908722"), "exact")


def test_report_form_hands_the_card_back_with_changes(world: World):
    visit = make_visit(world.alice_card, world.alice)
    alice = client_of(world.alice)
    form = alice.get(reverse("field:day-report", args=[visit.pk]))
    assert form.status_code == 200 and "filed as a visit without check-in" in form.content.decode()
    data = {
        "purpose": "routine", "outcome": "follow_up", "summary": "老板不在", "version": "1",
        "card_version": str(world.alice_card.version), "card-phone": world.alice_card.phone,
        "card-brands_carried": "燕京", "card-opens_at": "08:00",
    }
    stale = alice.post(reverse("field:day-report", args=[visit.pk]), {**data, "card_version": "0"})
    assert stale.status_code == 409
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.PLANNED
    done = alice.post(reverse("field:day-report", args=[visit.pk]), data)
    assert done.status_code == 302 and done.url == reverse("field:today")
    world.alice_card.refresh_from_db()
    assert (world.alice_card.brands_carried, f"{world.alice_card.opens_at:%H:%M}") == ("燕京", "08:00")
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.DONE
    again = alice.get(reverse("field:day-report", args=[visit.pk]))
    assert again.status_code == 302 and again.url == reverse("field:day-visit", args=[visit.pk])


def test_report_form_errors_are_400_with_field_messages(world: World):
    visit = make_visit(world.alice_card, world.alice)
    response = client_of(world.alice).post(reverse("field:day-report", args=[visit.pk]), {
        "purpose": "", "outcome": "x", "version": "1", "card_version": "1", "card-employees": "-4"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"purpose", "outcome"}
    assert set(response.context["card"].errors) == {"employees"}


def test_ad_hoc_visit_page(world: World):
    alice = client_of(world.alice)
    found = alice.get(reverse("field:day-add"), {"q": "海淀"}).content.decode()
    assert world.alice_card.name in found and world.carol_card.name not in found
    assert alice.get(reverse("field:day-add"), {"q": "天津"}).context["cards"] == []
    added = alice.post(reverse("field:day-add"), {"customer": world.alice_card.pk})
    visit = Visit.objects.get(customer=world.alice_card)
    assert added.url == reverse("field:day-visit", args=[visit.pk])
    assert alice.post(reverse("field:day-add"), {"customer": world.carol_card.pk}).status_code == 404


def test_visit_pack_is_a_pdf_with_the_chinese_card_and_an_embedded_font(world: World):
    from pypdf import PdfReader

    place(world.alice_card, *TAM)
    make_visit(world.alice_card, world.alice, sequence=1)
    SalesPlan.objects.create(customer=world.alice_card, month=today().replace(day=1), total_amount=Decimal("1000"))
    CustomerMonth.objects.create(customer=world.alice_card, month=today().replace(day=1), sales=Decimal("250"))
    response = client_of(world.alice).get(reverse("field:day-pack"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if os.environ.get("KEHU_SCREENSHOTS"):
        with open(os.path.join(os.environ["KEHU_SCREENSHOTS"], "visit-pack.pdf"), "wb") as out:
            out.write(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert world.alice_card.name in text
    assert "单立新" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor is not None and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts.add(str(font["/BaseFont"]))
    assert any("Noto" in name or "Kehu" in name for name in fonts), fonts
    event = AuditEvent.objects.get(action=AuditAction.PRINT)
    assert event.detail["what"] == "visit_pack" and event.detail["customers"] == [world.alice_card.pk]


def test_visit_pack_of_another_day_is_not_found(world: World):
    day = today() - timedelta(days=2)
    assert client_of(world.alice).get(reverse("field:day-pack"), {"day": f"{day:%Y-%m-%d}"}).status_code == 404


def test_unreturned_visits_for_the_managers_subtree(world: World):
    now = timezone.now()
    make_visit(world.alice_card, world.alice, status=VisitStatus.CHECKED_IN, checkin_at=now - timedelta(hours=5))
    make_visit(world.bob_card, world.bob, today() - timedelta(days=2))  # planned, never started
    make_visit(world.carol_card, world.carol, status=VisitStatus.CHECKED_OUT, checkin_at=now - timedelta(hours=1))
    make_visit(world.bob_card, world.bob, status=VisitStatus.DONE)
    page = client_of(world.mia).get(reverse("field:unreturned"))
    groups = {g.rep.username: g for g in page.context["groups"]}
    assert set(groups) == {"alice", "bob"}
    assert [v.age_hours for v in groups["alice"].unreturned] == [5]
    assert ([v.days_late for v in groups["bob"].not_started], groups["bob"].unreturned) == ([2], [])
    tom = client_of(world.tom).get(reverse("field:unreturned"))
    assert [g.rep.username for g in tom.context["groups"]] == ["carol"]
    assert len(client_of(world.dora).get(reverse("field:unreturned")).context["groups"]) == 3
    for user in (world.alice, world.fiona, world.aud):
        assert client_of(user).get(reverse("field:unreturned")).status_code == 403


def test_card_visits_tab(world: World):
    make_visit(world.alice_card, world.alice, today() - timedelta(days=3), status=VisitStatus.DONE,
               summary="上次说好了", is_far=True, checkin_at=timezone.now(), checkin_distance_m=812)
    make_visit(world.alice_card, world.alice)
    page = client_of(world.mia).get(reverse("customers:detail", args=[world.alice_card.pk]), {"tab": "visits"})
    html = page.content.decode()
    assert [v.planned_on for v in page.context["card_visits"]] == [today(), today() - timedelta(days=3)]
    assert "上次说好了" in html and "812 m" in html
    assert client_of(world.carol).get(reverse("customers:detail", args=[world.alice_card.pk]),
                                      {"tab": "visits"}).status_code == 404


def test_day_page_query_count_does_not_grow_with_visits(world: World):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.testing import make_customer

    alice = client_of(world.alice)

    def add(i: int) -> None:
        card = place(make_customer(f"卡{i}", world.alice, world.beijing), TAM[0] + i / 1000, TAM[1])
        Contact.objects.create(customer=card, name=f"联系人{i}")
        make_visit(card, world.alice, sequence=i + 1)
        make_visit(card, world.alice, today() - timedelta(days=9), status=VisitStatus.DONE)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(reverse("field:today")).status_code == 200
        return len(queries)

    add(0)
    one = count()
    for i in range(1, 9):
        add(i)
    assert count() == one
    assert one <= 20


def test_route_map_projects_stops_into_the_box_in_order(world: World):
    from kehu.field.selectors.visits import route_map
    from kehu.testing import make_customer

    west = place(make_customer("西店", world.alice, world.beijing), *BEIJING["haidian"])
    east = place(make_customer("东店", world.alice, world.beijing), *BEIJING["chaoyang"])
    unplaced = make_customer("无坐标店", world.alice, world.beijing)
    visits = [make_visit(west, world.alice, sequence=1), make_visit(unplaced, world.alice, sequence=2),
              make_visit(east, world.alice, sequence=3)]
    drawn = route_map(visits, None)
    assert drawn is not None
    (n1, x1, y1), (n3, x3, y3) = drawn.stops
    assert (n1, n3) == (1, 3)
    assert x1 == 24.0 and x3 == 496.0  # west to east fills the width
    assert y1 < y3  # haidian is north of chaoyang
    assert all(0 <= v <= 300 for v in (y1, y3))
    assert drawn.line == f"{x1},{y1} {x3},{y3}"
    single = route_map(visits[:1], None)
    assert single is not None and single.stops == [(1, 260.0, 150.0)]
    assert route_map(visits[1:2], None) is None


def test_the_route_totals_and_tomorrows_pack(world: World):
    from kehu.field.models import DayRoute

    tomorrow = today() + timedelta(days=1)
    make_visit(world.alice_card, world.alice, tomorrow, sequence=1)
    DayRoute.objects.create(rep=world.alice, day=tomorrow, distance_m=12345, travel_seconds=1790)
    alice = client_of(world.alice)
    page = alice.get(reverse("field:today"), {"day": f"{tomorrow:%Y-%m-%d}"}).content.decode()
    assert "12.3 km, 30 min on the road" in page
    pack = alice.get(reverse("field:day-pack"), {"day": f"{tomorrow:%Y-%m-%d}"})
    assert pack.status_code == 200 and pack.content.startswith(b"%PDF")
