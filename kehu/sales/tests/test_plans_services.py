"""Plan services: drafting with exact totals, the approval workflow and its refusals, copying last year's actuals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.sales.models import PlanLine, PlanStatus, PlanSupport, SalesPlan
from kehu.sales.services.plans import (
    plan_approve,
    plan_reopen,
    plan_return,
    plan_save,
    plan_submit,
    plans_copy_from_actuals,
)
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, errors_of

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)


@pytest.fixture
def beer(db: None) -> object:
    return make_product("B-500", "啤酒", "10.00", spec="500ml×12")


@pytest.fixture
def water(db: None) -> object:
    return make_product("W-550", "矿泉水", "2.50", spec="550ml×24")


def draft(world: World, beer: object, water: object, actor: object = None) -> SalesPlan:
    return plan_save(
        actor=actor or world.alice, customer=world.alice_card, month="2026-11",
        lines=[(beer.pk, "30", "3000.50", "上旬 20 箱"), (water.pk, "12.5", "312.25", "")],
        supports=[("promotion", "买十送一", "150.10"), ("display", "端架", "49.90")], note="双十一",
    )


def test_it_drafts_a_plan_with_exact_totals(world: World, beer: object, water: object) -> None:
    plan = draft(world, beer, water)
    assert (plan.month, plan.status, plan.version) == (NOV, PlanStatus.DRAFT, 1)
    assert plan.total_quantity == Decimal("42.500")
    assert plan.total_amount == Decimal("3312.75")
    assert plan.support_cost == Decimal("200.00")
    assert list(plan.lines.values_list("product__sku", "quantity", "amount", "schedule")) == [
        ("B-500", Decimal("30.000"), Decimal("3000.50"), "上旬 20 箱"),
        ("W-550", Decimal("12.500"), Decimal("312.25"), ""),
    ]
    assert plan.created_by == world.alice
    event = AuditEvent.objects.get(object_type="salesplan", object_id=plan.pk)
    assert event.action == AuditAction.CREATE
    assert event.detail["total_amount"] == "3312.75"
    assert plan.history.count() == 1


def test_it_replaces_lines_and_supports_and_keeps_totals_in_sync(world: World, beer: object, water: object) -> None:
    plan = draft(world, beer, water)
    again = plan_save(actor=world.alice, customer=world.alice_card.pk, month=NOV, lines=[(water.pk, 1, "2.5", "")],
                      supports=[], note="", version=plan.version)
    assert again.pk == plan.pk and again.version == 2
    assert (again.total_quantity, again.total_amount, again.support_cost) == (Decimal("1.000"), Decimal("2.50"), Decimal("0"))
    assert PlanLine.objects.filter(plan=plan).count() == 1
    assert not PlanSupport.objects.filter(plan=plan).exists()
    assert AuditEvent.objects.filter(object_type="salesplan", action=AuditAction.UPDATE).count() == 1


def test_it_refuses_a_stale_or_missing_version(world: World, beer: object, water: object) -> None:
    plan = draft(world, beer, water)
    with pytest.raises(VersionConflict) as caught:
        plan_save(actor=world.mia, customer=world.alice_card, month=NOV, lines=[], supports=[], version=plan.version - 1)
    assert caught.value.current.pk == plan.pk
    assert "version" in errors_of(plan_save, actor=world.alice, customer=world.alice_card, month=NOV, lines=[], supports=[])
    assert SalesPlan.objects.get().total_amount == Decimal("3312.75")


def test_it_reports_every_bad_line_and_writes_nothing(world: World, beer: object, water: object) -> None:
    water.is_active = False
    water.save()
    errors = errors_of(
        plan_save, actor=world.alice, customer=world.alice_card, month="2026-11",
        lines=[(beer.pk, "-1", "x", ""), (water.pk, "1", "1", ""), (beer.pk, "1", "1", "y" * 101), ("abc", 1, 1, "")],
        supports=[("bribe", "", "1"), ("display", "", "-5")],
    )
    assert set(errors) == {
        "lines.0.quantity", "lines.0.amount", "lines.1.product", "lines.2.product", "lines.2.schedule",
        "lines.3.product", "supports.0.kind", "supports.1.cost",
    }
    assert errors_of(plan_save, actor=world.alice, customer=world.alice_card, month="2026-13", lines=[],
                     supports=[]) == {"month": ["Enter a month as YYYY-MM."]}
    assert not SalesPlan.objects.exists()


def test_only_those_who_may_edit_the_card_plan_for_it(world: World, beer: object) -> None:
    for user in (world.bob, world.carol, world.tom):
        with pytest.raises(NotFound):
            plan_save(actor=user, customer=world.alice_card, month=NOV, lines=[], supports=[])
    for user in (world.fiona, world.cathy, world.aud):
        with pytest.raises(Forbidden):
            plan_save(actor=user, customer=world.alice_card, month=NOV, lines=[], supports=[])
    for user in (world.mia, world.dora, world.ada):
        plan_save(actor=user, customer=world.alice_card, month=date(2026, 1 + user.pk % 12, 1), lines=[], supports=[])
    assert SalesPlan.objects.count() == 3


def test_the_workflow_submit_approve_with_history_and_audit(world: World, beer: object, water: object) -> None:
    plan = draft(world, beer, water)
    plan = plan_submit(actor=world.alice, plan_id=plan.pk, version=plan.version)
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_at is not None
    plan = plan_approve(actor=world.mia, plan_id=plan.pk, version=plan.version, note="ok")
    assert (plan.status, plan.decided_by, plan.decision_note) == (PlanStatus.APPROVED, world.mia, "ok")
    statuses = list(plan.history.order_by("history_date", "history_id").values_list("status", "history_user__username"))
    assert statuses == [("draft", "alice"), ("submitted", "alice"), ("approved", "mia")]
    actions = list(AuditEvent.objects.filter(object_type="salesplan").order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.CREATE, AuditAction.STATUS_CHANGE, AuditAction.APPROVE]


def test_a_submitted_or_approved_plan_cannot_be_changed_silently(world: World, beer: object, water: object) -> None:
    plan = plan_submit(actor=world.alice, plan_id=draft(world, beer, water).pk, version=1)
    errors = errors_of(plan_save, actor=world.alice, customer=world.alice_card, month=NOV, lines=[], supports=[],
                       version=plan.version)
    assert list(errors) == ["status"]
    approved = plan_approve(actor=world.mia, plan_id=plan.pk, version=plan.version)
    assert list(errors_of(plan_save, actor=world.mia, customer=world.alice_card, month=NOV, lines=[], supports=[],
                          version=approved.version)) == ["status"]
    assert SalesPlan.objects.get().total_amount == Decimal("3312.75")
    reopened = plan_reopen(actor=world.alice, plan_id=plan.pk, version=approved.version, reason="加货")
    assert reopened.status == PlanStatus.DRAFT and reopened.decided_by is None
    changed = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, 10, "")],
                        supports=[], version=reopened.version)
    assert changed.total_amount == Decimal("10.00")
    event = AuditEvent.objects.filter(action=AuditAction.STATUS_CHANGE).order_by("-id").first()
    assert event.detail["from"] == "approved" and event.detail["to"] == "draft" and event.detail["note"] == "加货"


def test_workflow_refusals(world: World, beer: object, water: object) -> None:
    empty = plan_save(actor=world.alice, customer=world.alice_card, month="2026-12", lines=[], supports=[])
    assert list(errors_of(plan_submit, actor=world.alice, plan_id=empty.pk, version=1)) == ["lines"]
    plan = draft(world, beer, water)
    assert list(errors_of(plan_approve, actor=world.mia, plan_id=plan.pk, version=1)) == ["status"]
    assert list(errors_of(plan_reopen, actor=world.alice, plan_id=plan.pk, version=1)) == ["status"]
    with pytest.raises(Forbidden):  # a rep does not approve
        plan_approve(actor=world.alice, plan_id=plan.pk, version=1)
    plan = plan_submit(actor=world.alice, plan_id=plan.pk, version=1)
    with pytest.raises(NotFound):  # Tom manages Tianjin: he does not even see it
        plan_approve(actor=world.tom, plan_id=plan.pk, version=plan.version)
    with pytest.raises(Forbidden):  # finance sees every plan but decides none
        plan_return(actor=world.fiona, plan_id=plan.pk, version=plan.version, reason="x")
    with pytest.raises(VersionConflict):
        plan_approve(actor=world.mia, plan_id=plan.pk, version=1)
    assert errors_of(plan_return, actor=world.mia, plan_id=plan.pk, version=plan.version, reason=" ") == {
        "reason": ["Say what should change."]}
    assert list(errors_of(plan_submit, actor=world.alice, plan_id=plan.pk, version=plan.version)) == ["status"]
    returned = plan_return(actor=world.mia, plan_id=plan.pk, version=plan.version, reason="啤酒太少")
    assert (returned.status, returned.decision_note) == (PlanStatus.RETURNED, "啤酒太少")
    # A returned plan is editable and can go up again.
    again = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 50, 5000, "")],
                      supports=[], version=returned.version)
    assert again.status == PlanStatus.RETURNED
    assert plan_submit(actor=world.alice, plan_id=plan.pk, version=again.version).status == PlanStatus.SUBMITTED


def test_whoever_submitted_a_plan_does_not_approve_it(world: World, beer: object, water: object) -> None:
    plan = draft(world, beer, water, actor=world.mia)
    plan = plan_submit(actor=world.mia, plan_id=plan.pk, version=1)
    with pytest.raises(Forbidden):
        plan_approve(actor=world.mia, plan_id=plan.pk, version=plan.version)
    assert plan_approve(actor=world.dora, plan_id=plan.pk, version=plan.version).status == PlanStatus.APPROVED


def test_it_copies_last_years_actuals_with_growth(world: World, beer: object, water: object) -> None:
    make_booked_order(world.alice_card, [(beer, "10", "12.34"), (water, 3, "2.50")], order_date=date(2025, 11, 5))
    make_booked_order(world.alice_card, [(beer, "5", "12.34")], order_date=date(2025, 11, 20))
    make_booked_order(world.alice_card, [(beer, "99", "1")], order_date=date(2025, 10, 31))  # another month
    make_booked_order(world.bob_card, [(water, "7", "3")], order_date=date(2025, 11, 2))
    make_booked_order(world.carol_card, [(water, "7", "3")], order_date=date(2025, 11, 2))
    plan_save(actor=world.bob, customer=world.bob_card, month=NOV, lines=[], supports=[])  # already planned

    preview = plans_copy_from_actuals(actor=world.mia, month="2026-11", growth="0.1", org_unit=world.beijing, commit=False)
    assert [p.customer for p in preview.proposals] == [world.alice_card]
    assert [(line.product_id, line.quantity, line.amount) for line in preview.proposals[0].lines] == [
        (beer.pk, Decimal("16.500"), Decimal("203.61")),  # 15 × 1.1; 185.10 × 1.1 = 203.61
        (water.pk, Decimal("3.300"), Decimal("8.25")),  # 7.50 × 1.1
    ]
    assert preview.already_planned == [world.bob_card]
    assert preview.total_amount == Decimal("211.86")
    assert SalesPlan.objects.count() == 1

    done = plans_copy_from_actuals(actor=world.mia, month="2026-11", growth="0.1", org_unit=world.beijing)
    assert done.created == 1
    plan = SalesPlan.objects.get(customer=world.alice_card, month=NOV)
    assert (plan.status, plan.total_quantity, plan.total_amount) == (PlanStatus.DRAFT, Decimal("19.800"), Decimal("211.86"))
    assert plan.history.count() == 1
    assert AuditEvent.objects.filter(object_type="salesplan", object_id=plan.pk, action=AuditAction.CREATE).exists()
    again = plans_copy_from_actuals(actor=world.mia, month="2026-11", growth="0.1", org_unit=world.beijing)
    assert again.created == 0 and again.already_planned == [world.alice_card, world.bob_card]


def test_copy_only_touches_customers_the_actor_may_plan_for(world: World, water: object) -> None:
    make_booked_order(world.carol_card, [(water, "7", "3")], order_date=date(2025, 11, 2))
    make_booked_order(world.alice_card, [(water, "1", "3")], order_date=date(2025, 11, 2))
    result = plans_copy_from_actuals(actor=world.alice, month="2026-11", growth="-0.5", org_unit=world.hq)
    assert [p.customer for p in result.proposals] == [world.alice_card]
    assert result.proposals[0].lines[0].amount == Decimal("1.50")
    with pytest.raises(ValidationError):
        plans_copy_from_actuals(actor=world.alice, month="2026-11", growth="abc", org_unit=world.hq)
    assert errors_of(plans_copy_from_actuals, actor=world.alice, month="2026-11", growth="-2", org_unit=world.hq) == {
        "growth": ["Enter a growth between -1 (-100 %) and 10 (+1000 %)."]}
    none = plans_copy_from_actuals(actor=world.fiona, month="2026-11", growth="0", org_unit=world.hq, commit=False)
    assert none.proposals == [] and none.not_allowed == 3
    chosen = plans_copy_from_actuals(actor=world.dora, month="2026-11", growth="0", customers=[world.carol_card.pk],
                                     commit=False)
    assert [p.customer for p in chosen.proposals] == [world.carol_card]
    hidden = plans_copy_from_actuals(actor=world.alice, month="2026-11", growth="0", customers=[world.carol_card],
                                     commit=False)
    assert hidden.proposals == [] and hidden.not_allowed == 0
