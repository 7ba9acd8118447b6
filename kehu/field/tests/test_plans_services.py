"""Weekly plan generation, editing, review, and day routes (services)."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer, CustomerStatus
from kehu.field.models import DayRoute, FieldProfile, PlanState, Visit, VisitReason, VisitStatus
from kehu.field.selectors.plans import day_route_for
from kehu.field.services import plans as services
from kehu.field.services.profiles import field_profile_update
from kehu.field.services.routes import WHY_NO_POSITION, WHY_NO_TIME, day_route_compute
from kehu.field.testing import make_visit, place
from kehu.sales.models import Collection
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import make_customer

WEEK = date(2030, 1, 7)  # a Monday, well in the future so no day of it is past
MON, TUE, WED = WEEK, WEEK + timedelta(days=1), WEEK + timedelta(days=2)


@pytest.fixture(autouse=True)
def _fast_solver(settings: Any) -> None:
    settings.KEHU_ROUTE_TIME_LIMIT = 0.1
    settings.KEHU_WEEK_PLAN_TIME_LIMIT = 0.2


def profile(rep: Any, **fields: Any) -> FieldProfile:
    values = {"work_days": "12345", "max_visits_per_day": 12, "service_minutes": 20,
              "base_lat": Decimal("39.900000"), "base_lng": Decimal("116.300000"), **fields}
    p, _ = FieldProfile.objects.update_or_create(user=rep, defaults=values)
    return p


def cards(world: Any, n: int, rep: Any = None, **fields: Any) -> list[Customer]:
    rep = rep or world.alice
    out = []
    for i in range(n):
        c = make_customer(f"卡{i}", rep, world.beijing, **fields)
        out.append(place(c, 39.90, 116.30 + 0.01 * (i + 1)))
    return out


def visited_recently(*customers: Customer) -> None:
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        last_visited_at=timezone.make_aware(timezone.datetime(2030, 1, 6, 10)), status=CustomerStatus.ACTIVE,
        updated_at=timezone.make_aware(timezone.datetime(2030, 1, 6, 10)))


# --- generation -------------------------------------------------------------------------------

def test_it_caps_the_week_and_lists_what_did_not_fit(world: Any) -> None:
    profile(world.alice, work_days="12", max_visits_per_day=3)
    visited_recently(world.alice_card)
    due = cards(world, 7)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    visits = Visit.objects.filter(plan=plan)
    assert visits.count() == 6
    assert sorted(Visit.objects.filter(plan=plan, planned_on=MON).values_list("sequence", flat=True)) == [1, 2, 3]
    assert Visit.objects.filter(plan=plan, planned_on=TUE).count() == 3
    assert set(visits.values_list("reason", flat=True)) == {VisitReason.DUE}
    assert len(plan.unplanned) == 1
    left = plan.unplanned[0]
    assert left["customer"] == due[6].pk  # the newest card loses: same reason, later in the order
    assert left["why"] == services.WEEK_FULL
    assert plan.status == PlanState.DRAFT and plan.version == 2
    assert DayRoute.objects.filter(rep=world.alice, day__in=[MON, TUE]).count() == 2


def test_it_orders_candidates_by_reason(world: Any) -> None:
    profile(world.alice, work_days="1", max_visits_per_day=3)
    visited_recently(world.alice_card)
    money, collect, prospect, due = cards(world, 4)
    visited_recently(money, collect, prospect)
    Customer.objects.filter(pk=prospect.pk).update(status=CustomerStatus.PROSPECT)
    soy = make_product("SOY", "酱油")
    make_booked_order(money, [(soy, 10, "10.00")], order_date=date(2029, 10, 1), due_date=date(2029, 11, 1))
    Collection.objects.create(customer=collect, due_on=WED, amount=Decimal("50.00"), responsible=world.alice)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    reasons = dict(Visit.objects.filter(plan=plan).values_list("customer_id", "reason"))
    assert reasons == {due.pk: VisitReason.DUE, money.pk: VisitReason.MONEY, collect.pk: VisitReason.COLLECTION}
    assert [(u["customer"], u["reason"]) for u in plan.unplanned] == [(prospect.pk, VisitReason.PROSPECT)]


def test_cards_without_a_position_go_to_the_least_loaded_day(world: Any) -> None:
    profile(world.alice, work_days="12", max_visits_per_day=3)
    visited_recently(world.alice_card)
    placed = cards(world, 2)
    loose = make_customer("无坐标店", world.alice, world.beijing)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    assert Visit.objects.filter(plan=plan).count() == 3
    visit = Visit.objects.get(customer=loose)
    others = Visit.objects.filter(customer__in=placed, planned_on=visit.planned_on).count()
    assert others <= 1
    route = DayRoute.objects.get(rep=world.alice, day=visit.planned_on)
    assert {"visit": visit.pk, "customer": loose.pk, "why": WHY_NO_POSITION} in route.unserved


def test_regeneration_keeps_reported_and_hand_added_visits(world: Any) -> None:
    profile(world.alice, work_days="1", max_visits_per_day=5)
    visited_recently(world.alice_card)
    a, b, c = cards(world, 3)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    done = Visit.objects.get(customer=a)
    Visit.objects.filter(pk=done.pk).update(status=VisitStatus.DONE)
    visited_recently(world.alice_card)
    manual = services.visit_plan_add(actor=world.alice, plan=plan, customer_id=world.alice_card.pk, day=MON,
                                     version=plan.version)
    plan.refresh_from_db()
    again = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK, version=plan.version)
    assert Visit.objects.filter(pk__in=[done.pk, manual.pk]).count() == 2
    assert sorted(Visit.objects.filter(plan=again).values_list("customer_id", flat=True)) == sorted(
        [a.pk, b.pk, c.pk, world.alice_card.pk])


def test_only_a_draft_is_regenerated(world: Any) -> None:
    profile(world.alice)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    services.visit_plan_submit(actor=world.alice, plan=plan, version=plan.version)
    with pytest.raises(ValidationError) as err:
        services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    assert list(err.value.message_dict) == ["status"]


def test_a_week_starts_on_monday(world: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=TUE)
    assert list(err.value.message_dict) == ["week_start"]


# --- editing and review -----------------------------------------------------------------------

def test_edit_and_review_workflow(world: Any) -> None:
    profile(world.alice, work_days="123", max_visits_per_day=4)
    visited_recently(world.alice_card)
    a, b = cards(world, 2)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    visit = Visit.objects.get(customer=a)
    plan = services.visit_plan_move(actor=world.alice, plan=plan, visit_id=visit.pk, day=WED, version=plan.version)
    visit.refresh_from_db()
    assert visit.planned_on == WED and visit.sequence == 1
    with pytest.raises(VersionConflict):
        services.visit_plan_submit(actor=world.alice, plan=plan, version=plan.version - 1)
    plan = services.visit_plan_submit(actor=world.alice, plan=plan, version=plan.version)
    with pytest.raises(Forbidden):
        services.visit_plan_approve(actor=world.alice, plan=plan, version=plan.version)
    with pytest.raises(NotFound):
        services.visit_plan_approve(actor=world.tom, plan=plan, version=plan.version)
    plan = services.visit_plan_approve(actor=world.mia, plan=plan, version=plan.version, note="好")
    assert plan.status == PlanState.APPROVED and plan.reviewed_by == world.mia
    # The manager adjusts an approved plan: it stays approved.
    plan = services.visit_plan_remove(actor=world.mia, plan=plan, visit_id=Visit.objects.get(customer=b).pk,
                                      version=plan.version)
    assert plan.status == PlanState.APPROVED
    # The rep's own edit sends it back to review.
    services.visit_plan_add(actor=world.alice, plan=plan, customer_id=b.pk, day=TUE, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanState.SUBMITTED
    with pytest.raises(ValidationError):
        services.visit_plan_return(actor=world.mia, plan=plan, version=plan.version, note=" ")
    plan = services.visit_plan_return(actor=world.mia, plan=plan, version=plan.version, note="周三太满")
    assert plan.status == PlanState.DRAFT and plan.review_note == "周三太满"
    actions = list(AuditEvent.objects.filter(object_type="visitplan").values_list("action", flat=True))
    assert sorted(actions) == sorted([AuditAction.CREATE, AuditAction.APPROVE] + [AuditAction.UPDATE] * 5)


def test_add_refuses_cards_the_rep_does_not_see(world: Any) -> None:
    profile(world.alice)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    with pytest.raises(ValidationError) as err:
        services.visit_plan_add(actor=world.mia, plan=plan, customer_id=world.bob_card.pk, day=MON, version=plan.version)
    assert list(err.value.message_dict) == ["customer"]
    with pytest.raises(ValidationError) as err:
        services.visit_plan_add(actor=world.alice, plan=plan, customer_id=world.alice_card.pk,
                                day=WEEK + timedelta(days=7), version=plan.version)
    assert list(err.value.message_dict) == ["day"]


def test_planning_access(world: Any) -> None:
    profile(world.alice)
    for user in (world.fiona, world.aud, world.cathy, world.bob):
        with pytest.raises((Forbidden, NotFound)):
            services.visit_plan_generate(actor=user, rep=world.alice, week_start=WEEK)
    with pytest.raises(NotFound):
        services.visit_plan_generate(actor=world.tom, rep=world.alice, week_start=WEEK)
    assert services.visit_plan_generate(actor=world.mia, rep=world.alice, week_start=WEEK).rep == world.alice


# --- day routes -------------------------------------------------------------------------------

def test_points_on_a_line_are_visited_in_line_order(world: Any) -> None:
    # Without a base the day starts at the first stop: only the two line orders are optimal (with a
    # base at one end, going out to the far end and back costs the same in several orders).
    profile(world.alice, base_lat=None, base_lng=None)
    far, near, middle = (place(make_customer(n, world.alice, world.beijing), 39.90, lng)
                         for n, lng in (("远", 116.34), ("近", 116.31), ("中", 116.32)))
    for c in (far, near, middle):
        make_visit(c, world.alice, MON)
    route = day_route_compute(actor=world.alice, rep=world.alice, day=MON)
    got, visits = day_route_for(user=world.alice, rep=world.alice, day=MON)
    assert got == route
    order = [v.customer_id for v in visits]
    assert order in ([near.pk, middle.pk, far.pk], [far.pk, middle.pk, near.pk])
    assert [v.sequence for v in visits] == [1, 2, 3]
    assert route.unserved == [] and route.service_seconds == 3 * 20 * 60
    assert route.start_lat is None and route.travel_seconds > 0
    assert 3200 < route.distance_m < 3450  # 0.03° of longitude (≈ 2560 m) × road factor 1.3, no base legs
    assert visits[0].planned_arrival is not None and visits[0].planned_arrival < visits[1].planned_arrival


def test_with_a_base_at_one_end_the_nearest_comes_first(world: Any) -> None:
    profile(world.alice, base_lat=Decimal("39.900000"), base_lng=Decimal("116.300000"))
    far, near, middle = (place(make_customer(n, world.alice, world.beijing), 39.90, lng)
                         for n, lng in (("远", 116.34), ("近", 116.31), ("中", 116.32)))
    for c in (far, near, middle):
        make_visit(c, world.alice, MON)
    route = day_route_compute(actor=world.alice, rep=world.alice, day=MON)
    _route, visits = day_route_for(user=world.alice, rep=world.alice, day=MON)
    assert [v.customer_id for v in visits] == [near.pk, middle.pk, far.pk]
    assert 8800 < route.distance_m < 8950  # out to the far end and back: 2 × 0.04° (≈ 3414 m) × 1.3
    assert route.start_lat == Decimal("39.900000")


def test_opening_hours_are_respected_and_unserved_reported(world: Any) -> None:
    profile(world.alice, day_starts_at=time(9, 0), day_ends_at=time(17, 0))
    near, late, closed = (place(make_customer(n, world.alice, world.beijing), 39.90, lng)
                          for n, lng in (("近", 116.31), ("晚开", 116.311), ("已关", 116.312)))
    Customer.objects.filter(pk=near.pk).update(closes_at=time(10, 0))
    Customer.objects.filter(pk=late.pk).update(opens_at=time(14, 0))
    Customer.objects.filter(pk=closed.pk).update(opens_at=time(6, 0), closes_at=time(8, 0))
    visits = {c.pk: make_visit(c, world.alice, MON) for c in (near, late, closed)}
    route = day_route_compute(actor=world.alice, rep=world.alice, day=MON)
    assert route.unserved == [{"visit": visits[closed.pk].pk, "customer": closed.pk, "why": WHY_NO_TIME}]
    _route, ordered = day_route_for(user=world.alice, rep=world.alice, day=MON)
    assert [v.customer_id for v in ordered] == [near.pk, late.pk, closed.pk]
    assert ordered[1].planned_arrival == time(14, 0)
    assert ordered[2].sequence is None and ordered[2].planned_arrival is None


def test_day_route_for_hides_reps_the_user_does_not_see(world: Any) -> None:
    with pytest.raises(NotFound):
        day_route_for(user=world.tom, rep=world.alice, day=MON)
    with pytest.raises(NotFound):
        day_route_for(user=world.bob, rep=world.alice, day=MON)
    assert day_route_for(user=world.mia, rep=world.alice, day=MON) == (None, [])


# --- profiles ---------------------------------------------------------------------------------

def test_profile_update_checks_version_and_values(world: Any) -> None:
    p = field_profile_update(actor=world.alice, rep=world.alice, data={"max_visits_per_day": 8}, version=1)
    assert p.max_visits_per_day == 8 and p.version == 2
    with pytest.raises(VersionConflict):
        field_profile_update(actor=world.mia, rep=world.alice, data={"max_visits_per_day": 9}, version=1)
    with pytest.raises(ValidationError) as err:
        field_profile_update(actor=world.mia, rep=world.alice, version=2,
                             data={"work_days": "89", "day_starts_at": time(18), "base_lat": Decimal("39.9")})
    assert sorted(err.value.message_dict) == ["base_lng", "day_ends_at", "work_days"]
    with pytest.raises(Forbidden):
        field_profile_update(actor=world.fiona, rep=world.alice, data={}, version=2)
    with pytest.raises(NotFound):
        field_profile_update(actor=world.bob, rep=world.alice, data={}, version=2)


def test_when_hours_are_short_higher_priority_stops_win(world: Any) -> None:
    # 70 minutes, 20 a visit: three prospects next to the base would fit, or the far due card and one.
    profile(world.alice, work_days="1", day_starts_at=time(8, 0), day_ends_at=time(9, 10), max_visits_per_day=12)
    visited_recently(world.alice_card)
    far = place(make_customer("远店", world.alice, world.beijing), 39.90, 116.3585)  # ~5 km × 1.3 → 13 min
    near = [place(make_customer(f"近{i}", world.alice, world.beijing), 39.90, 116.3001 + 0.0001 * i) for i in range(3)]
    visited_recently(*near)
    Customer.objects.filter(pk__in=[c.pk for c in near]).update(status=CustomerStatus.PROSPECT)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    planned = set(Visit.objects.filter(plan=plan).values_list("customer_id", flat=True))
    assert far.pk in planned and near[0].pk in planned and len(planned) == 2
    assert sorted(u["customer"] for u in plan.unplanned) == [near[1].pk, near[2].pk]
    assert {u["why"] for u in plan.unplanned} == {WHY_NO_TIME}
