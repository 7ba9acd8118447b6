"""`kehu demo` loads field work after the cards and sales: profiles, exact positions, three months of
visits with `last_visited_at` kept consistent, this week's plans with today's visits and routes, and
territory suggestions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db.models import Max

from kehu.customers.demo import demo_build
from kehu.customers.demo_hooks import demo_steps, demo_steps_run
from kehu.customers.models import Customer, GeoPrecision
from kehu.field.demo.hook import field_demo_step
from kehu.field.models import DayRoute, FieldProfile, Visit, VisitPlan, VisitStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 16, 4, 0, tzinfo=UTC)  # a Thursday, 12:00 in Shanghai
TODAY = date(2026, 7, 16)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        org = demo_build(customers=120, seed=5, now=NOW)
        yield org, demo_steps_run(org=org, seed=5, now=NOW)
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def test_the_field_step_is_registered_after_sales():
    steps = demo_steps()
    assert field_demo_step in steps
    assert [s.__module__ for s in steps].index("kehu.field.demo.hook") > [s.__module__ for s in steps].index(
        "kehu.sales.demo.hook")


def test_it_loads_profiles_positions_and_history(demo):  # type: ignore[no-untyped-def]
    org, reports = demo
    counts = reports["kehu.field.demo.hook"]
    reps = [u for u in org.users.values() if u.role == "rep"]
    assert FieldProfile.objects.count() == len(reps) == 12
    assert all(p.has_base and p.base_label.endswith("办事处") for p in FieldProfile.objects.all())
    assert counts["exact positions"] > 0
    assert Customer.objects.filter(geo_precision=GeoPrecision.EXACT).count() >= counts["exact positions"]
    done = Visit.objects.filter(status=VisitStatus.DONE)
    assert counts["visits"] == Visit.objects.count() > 0 and counts["reported"] == done.count() > 0
    assert not done.filter(summary="").exists() and not done.filter(checkin_at__isnull=True).exists()
    assert done.filter(planned_on__lt=TODAY).count() == done.count()
    assert Visit.objects.filter(is_far=True).count() == counts["far check-ins"] > 0
    assert Visit.objects.filter(status__in=(VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT),
                                reported_at__isnull=True).count() == counts["unreturned"]


def test_last_visited_is_the_last_reported_check_in(demo):  # type: ignore[no-untyped-def]
    last = dict(Visit.objects.filter(status=VisitStatus.DONE).values("customer").annotate(at=Max("checkin_at"))
                .values_list("customer", "at"))
    cards = dict(Customer.objects.values_list("pk", "last_visited_at"))
    assert len(last) > 0
    assert {pk: at for pk, at in cards.items() if at is not None} == last


def test_todays_plans_and_routes(demo):  # type: ignore[no-untyped-def]
    org, reports = demo
    today = Visit.objects.filter(planned_on=TODAY)
    assert today.count() == reports["kehu.field.demo.hook"]["today's visits"] > 0
    assert not today.exclude(status=VisitStatus.PLANNED).exists()
    assert VisitPlan.objects.filter(week_start=date(2026, 7, 13)).count() == 12
    with_visits = set(today.values_list("rep", flat=True))
    assert set(DayRoute.objects.filter(day=TODAY).values_list("rep", flat=True)) == with_visits
    assert not today.filter(sequence__isnull=True).exists()
    assert DayRoute.objects.filter(day__lt=TODAY).count() > 0
