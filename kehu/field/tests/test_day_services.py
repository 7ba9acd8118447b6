"""The rep's day services: check-in distance and far flag, the first check-in's position offer, the report
that updates the card in the same transaction (and nothing at all when the card is stale), ad-hoc visits."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer, GeoPrecision
from kehu.field.models import Visit, VisitStatus
from kehu.field.services.visits import (
    offers_position,
    visit_check_in,
    visit_check_out,
    visit_create,
    visit_report,
    visit_set_card_position,
)
from kehu.field.testing import BEIJING, make_visit, place
from kehu.testing import World

pytestmark = pytest.mark.django_db
TAM = BEIJING["tiananmen"]
REPORT = {"purpose": "order", "outcome": "ordered", "summary": "补货两箱", "orders_taken": "1200.50",
          "money_collected": "300", "next_steps": "下周送货", "next_visit_on": None}


def _check_in(world: World, visit: Visit, lat: float, lng: float, **kw: object) -> Visit:
    return visit_check_in(actor=world.alice, visit_id=visit.pk, lat=lat, lng=lng, accuracy=kw.get("accuracy", 12),
                          version=visit.version)


def test_check_in_records_the_distance_to_the_card(world: World):
    place(world.alice_card, *TAM)
    visit = make_visit(world.alice_card, world.alice)
    # 0.001° of latitude north of the card: 111 m.
    done = _check_in(world, visit, TAM[0] + 0.001, TAM[1])
    assert done.status == VisitStatus.CHECKED_IN
    assert done.checkin_distance_m == 111
    assert done.is_far is False
    assert done.checkin_accuracy_m == 12
    assert done.checkin_lat == Decimal("39.909722")
    assert done.version == 2
    event = AuditEvent.objects.get(action=AuditAction.CHECK_IN)
    assert (event.object_type, event.object_id, event.detail["distance_m"], event.detail["is_far"]) == (
        "visit", visit.pk, 111, False)


def test_check_in_beyond_the_setting_is_flagged_far(world: World):
    place(world.alice_card, *TAM)
    visit = make_visit(world.alice_card, world.alice)
    done = _check_in(world, visit, TAM[0] + 0.003, TAM[1])  # 334 m
    assert (done.checkin_distance_m, done.is_far) == (334, True)


@override_settings(KEHU_CHECKIN_FAR_METRES=500)
def test_the_far_distance_is_configurable(world: World):
    place(world.alice_card, *TAM)
    visit = make_visit(world.alice_card, world.alice)
    done = _check_in(world, visit, TAM[0] + 0.003, TAM[1])
    assert (done.checkin_distance_m, done.is_far) == (334, False)


def test_first_check_in_at_a_card_without_exact_position_offers_to_set_it(world: World):
    visit = make_visit(world.alice_card, world.alice)
    assert offers_position(visit) is False  # not checked in yet
    done = _check_in(world, visit, *TAM)
    assert (done.checkin_distance_m, done.is_far) == (None, False)
    assert offers_position(done) is True
    card = visit_set_card_position(actor=world.alice, visit_id=visit.pk, card_version=world.alice_card.version)
    assert (card.lat, card.lng, card.geo_precision) == (Decimal("39.908722"), Decimal("116.397499"), GeoPrecision.EXACT)
    assert card.version == world.alice_card.version + 1
    assert card.history.first().lat == Decimal("39.908722")  # the change is in the card's history
    done.refresh_from_db()
    assert offers_position(done) is False
    assert (done.checkin_distance_m, done.is_far) == (0, False)


def test_a_card_with_an_exact_position_is_not_offered(world: World):
    place(world.alice_card, *TAM)
    done = _check_in(world, make_visit(world.alice_card, world.alice), *TAM)
    assert offers_position(done) is False


def test_setting_the_position_with_a_stale_card_version_changes_nothing(world: World):
    visit = make_visit(world.alice_card, world.alice)
    _check_in(world, visit, *TAM)
    with pytest.raises(VersionConflict):
        visit_set_card_position(actor=world.alice, visit_id=visit.pk, card_version=world.alice_card.version - 1)
    world.alice_card.refresh_from_db()
    assert world.alice_card.lat is None


@pytest.mark.parametrize(("lat", "lng", "accuracy", "errors"), [
    ("", "", None, {"lat", "lng"}),
    ("91", "116", None, {"lat"}),
    ("39.9", "-181", None, {"lng"}),
    ("abc", "NaN", None, {"lat", "lng"}),
    ("39.9", "116.4", "-5", {"accuracy"}),
    ("39.9", "116.4", "1e9", {"accuracy"}),
])
def test_invalid_coordinates_are_field_errors(world: World, lat: str, lng: str, accuracy: str | None,
                                              errors: set[str]):
    visit = make_visit(world.alice_card, world.alice)
    with pytest.raises(ValidationError) as exc:
        visit_check_in(actor=world.alice, visit_id=visit.pk, lat=lat, lng=lng, accuracy=accuracy, version=1)
    assert set(exc.value.message_dict) == errors
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_check_in_twice_or_with_a_stale_version_is_refused(world: World):
    visit = make_visit(world.alice_card, world.alice)
    _check_in(world, visit, *TAM)
    with pytest.raises(VersionConflict):
        visit_check_in(actor=world.alice, visit_id=visit.pk, lat=TAM[0], lng=TAM[1], version=1)
    with pytest.raises(ValidationError) as exc:
        visit_check_in(actor=world.alice, visit_id=visit.pk, lat=TAM[0], lng=TAM[1], version=2)
    assert list(exc.value.message_dict) == ["status"]


def test_check_in_of_a_visit_planned_for_tomorrow_waits(world: World):
    visit = make_visit(world.alice_card, world.alice, timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        _check_in(world, visit, *TAM)
    assert list(exc.value.message_dict) == ["planned_on"]


def test_only_the_visits_rep_may_check_in(world: World):
    visit = make_visit(world.alice_card, world.alice)
    with pytest.raises(NotFound):  # bob cannot see alice's card
        visit_check_in(actor=world.bob, visit_id=visit.pk, lat=TAM[0], lng=TAM[1], version=1)
    with pytest.raises(NotFound):
        visit_check_in(actor=world.carol, visit_id=visit.pk, lat=TAM[0], lng=TAM[1], version=1)
    for user in (world.mia, world.fiona, world.aud, world.dora):  # they see it, but it is not their visit
        with pytest.raises(Forbidden):
            visit_check_in(actor=user, visit_id=visit.pk, lat=TAM[0], lng=TAM[1], version=1)
    assert not AuditEvent.objects.filter(action=AuditAction.CHECK_IN).exists()


def test_check_out_records_time_and_optional_position(world: World):
    place(world.alice_card, *TAM)
    visit = _check_in(world, make_visit(world.alice_card, world.alice), *TAM)
    out = visit_check_out(actor=world.alice, visit_id=visit.pk, lat=TAM[0] + 0.002, lng=TAM[1], version=visit.version)
    assert (out.status, out.checkout_distance_m) == (VisitStatus.CHECKED_OUT, 222)
    assert out.checkout_at is not None
    with pytest.raises(ValidationError):
        visit_check_out(actor=world.alice, visit_id=visit.pk, version=out.version)


def test_report_updates_the_card_in_the_same_transaction(world: World):
    visit = _check_in(world, make_visit(world.alice_card, world.alice), *TAM)
    card = world.alice_card
    done = visit_report(
        actor=world.alice, visit_id=visit.pk, report=REPORT, version=visit.version, card_version=card.version,
        card_changes={"opens_at": time(8, 30), "brands_carried": "青岛, 燕京"},
    )
    assert done.status == VisitStatus.DONE
    assert done.reported_at is not None
    assert (done.orders_taken, done.money_collected, done.outcome) == (Decimal("1200.50"), Decimal("300.00"), "ordered")
    assert done.checkout_at is not None  # reporting closes the visit
    card.refresh_from_db()
    assert (card.opens_at, card.brands_carried, card.version) == (time(8, 30), "青岛, 燕京", 2)
    assert card.last_visited_at == done.checkin_at
    event = AuditEvent.objects.get(action=AuditAction.VISIT_REPORT)
    assert event.detail["card_fields"] == ["brands_carried", "opens_at"]
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="customer", object_id=card.pk).count() == 1


def test_a_stale_card_version_rolls_back_the_whole_report(world: World):
    visit = _check_in(world, make_visit(world.alice_card, world.alice), *TAM)
    with pytest.raises(VersionConflict) as exc:
        visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=visit.version, card_version=0,
                     card_changes={"brands_carried": "青岛"})
    assert isinstance(exc.value.current, Customer)
    visit.refresh_from_db()
    world.alice_card.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_IN
    assert visit.summary == ""
    assert (world.alice_card.brands_carried, world.alice_card.last_visited_at) == ("", None)
    assert not AuditEvent.objects.filter(action=AuditAction.VISIT_REPORT).exists()


def test_a_bad_card_value_is_a_card_field_error_and_nothing_is_written(world: World):
    visit = make_visit(world.alice_card, world.alice)
    with pytest.raises(ValidationError) as exc:
        visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=1, card_version=1,
                     card_changes={"employees": -3, "credit_limit": "1"})
    assert set(exc.value.message_dict) == {"card.credit_limit"}
    with pytest.raises(ValidationError) as exc:
        visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=1, card_version=1,
                     card_changes={"employees": -3})
    assert set(exc.value.message_dict) == {"card.employees"}
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_report_fields_are_validated_together(world: World):
    visit = make_visit(world.alice_card, world.alice)
    bad = {"purpose": "party", "outcome": "", "orders_taken": "-1", "money_collected": "1.005",
           "next_visit_on": "2001-01-01"}
    with pytest.raises(ValidationError) as exc:
        visit_report(actor=world.alice, visit_id=visit.pk, report=bad, version=1)
    assert set(exc.value.message_dict) == {"purpose", "outcome", "orders_taken", "money_collected", "next_visit_on"}


def test_a_report_without_check_in_is_accepted_and_recognisable(world: World):
    visit = make_visit(world.alice_card, world.alice)
    done = visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=1)
    assert (done.status, done.checkin_at) == (VisitStatus.DONE, None)
    world.alice_card.refresh_from_db()
    assert world.alice_card.last_visited_at == done.reported_at
    assert AuditEvent.objects.get(action=AuditAction.VISIT_REPORT).detail["checked_in"] is False
    with pytest.raises(ValidationError):  # reported once
        visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=done.version)


def test_last_visited_never_moves_back(world: World):
    later = timezone.now()
    Customer.objects.filter(pk=world.alice_card.pk).update(last_visited_at=later + timedelta(days=1))
    visit = make_visit(world.alice_card, world.alice)
    visit_report(actor=world.alice, visit_id=visit.pk, report=REPORT, version=1)
    world.alice_card.refresh_from_db()
    assert world.alice_card.last_visited_at == later + timedelta(days=1)


def test_ad_hoc_visit_for_a_visible_card_today(world: World):
    visit = visit_create(actor=world.alice, customer_id=world.alice_card.pk)
    assert (visit.rep, visit.planned_on, visit.reason, visit.sequence) == (
        world.alice, timezone.localdate(), "manual", None)
    with pytest.raises(ValidationError) as exc:
        visit_create(actor=world.alice, customer_id=world.alice_card.pk)
    assert list(exc.value.message_dict) == ["customer"]
    with pytest.raises(NotFound):
        visit_create(actor=world.alice, customer_id=world.carol_card.pk)
    with pytest.raises(Forbidden):
        visit_create(actor=world.fiona, customer_id=world.alice_card.pk)
    with pytest.raises(ValidationError) as exc:
        visit_create(actor=world.bob, customer_id=world.bob_card.pk,
                     planned_on=timezone.localdate() - timedelta(days=1))
    assert list(exc.value.message_dict) == ["planned_on"]
