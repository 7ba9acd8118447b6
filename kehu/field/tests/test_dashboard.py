"""The field tiles on the home dashboard: each user's own numbers, through the same scope as the pages."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kehu.field.models import VisitStatus
from kehu.field.selectors.dashboard import field_numbers
from kehu.field.testing import make_visit
from kehu.testing import World


def _day(w: World) -> None:
    make_visit(w.alice_card, w.alice, status=VisitStatus.DONE)
    make_visit(w.alice_card, w.alice, status=VisitStatus.CHECKED_IN, checkin_at=timezone.now())
    make_visit(w.alice_card, w.alice, status=VisitStatus.CANCELLED)
    make_visit(w.carol_card, w.carol, status=VisitStatus.CHECKED_OUT, checkin_at=timezone.now())


def test_a_rep_sees_today_reported_of_planned_and_no_team_numbers(world: World) -> None:
    _day(world)
    assert field_numbers(world.alice) == {"today_visits": 2, "today_reported": 1, "unreturned": None, "to_acknowledge": 0}


def test_a_manager_counts_the_unreturned_visits_of_the_team_only(world: World) -> None:
    _day(world)
    assert field_numbers(world.mia)["unreturned"] == 1  # alice's; carol is in Tianjin
    assert field_numbers(world.tom)["unreturned"] == 1
    assert field_numbers(world.dora)["unreturned"] == 2


def test_finance_and_auditors_get_no_field_tiles(world: World) -> None:
    _day(world)
    assert set(field_numbers(world.fiona).values()) == {None}
    assert set(field_numbers(world.aud).values()) == {None}


def test_the_home_page_shows_the_tiles_with_their_links(client, world: World) -> None:
    _day(world)
    client.force_login(world.mia)
    body = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unreturned visits" in body and reverse("field:unreturned") in body
    client.force_login(world.fiona)
    body = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("field:unreturned") not in body
