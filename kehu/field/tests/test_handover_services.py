"""Handover services: leave (loans that expire, visits and collections moved and moved back),
departure (owners, open visits, plans, collections to two successors), suggestion, acknowledgement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer
from kehu.field.models import FieldProfile, HandoverItem, HandoverState, Visit, VisitPlan, VisitStatus
from kehu.field.selectors import handover as selectors
from kehu.field.services import handover as services
from kehu.field.testing import BEIJING, make_visit, place
from kehu.sales.models import Collection
from kehu.testing import World, errors_of, make_customer

TODAY = timezone.localdate()


def collection(customer: Customer, rep, due: date, amount: str = "100.00") -> Collection:
    return Collection.objects.create(customer=customer, responsible=rep, due_on=due, amount=Decimal(amount))


def leave(world: World, **kw):
    args = {"actor": world.mia, "rep": world.alice, "delegate": world.bob, "starts_on": TODAY,
            "ends_on": TODAY + timedelta(days=4), "note": ""}
    args.update(kw)
    return services.handover_leave_create(**args)


# --- Leave ---------------------------------------------------------------------------------------

def test_leave_lends_every_card_until_the_end_of_the_last_day(world: World):
    second = make_customer("海淀第二店", world.alice, world.beijing)
    handover = leave(world)
    assert handover.status == HandoverState.APPLIED and handover.kind == "leave"
    grants = AccessGrant.objects.filter(grantee=world.bob).order_by("customer_id")
    assert [g.customer_id for g in grants] == [world.alice_card.pk, second.pk]
    grant = grants[0]
    assert (grant.status, grant.requested_by, grant.decided_by, grant.days) == (
        GrantStatus.APPROVED, world.mia, world.mia, 5)
    assert timezone.localtime(grant.starts_at).isoformat()[:19] == f"{TODAY}T00:00:00"
    end = TODAY + timedelta(days=5)
    assert timezone.localtime(grant.expires_at).isoformat()[:19] == f"{end}T00:00:00"
    assert f"#{handover.pk}" in grant.reason
    assert set(HandoverItem.objects.filter(handover=handover).values_list("grant_id", flat=True)) == {g.pk for g in grants}
    # bob sees alice's cards now; after the leave, the loans are over by themselves
    assert {world.alice_card.pk, second.pk} <= set(Customer.objects.visible_to(world.bob).values_list("pk", flat=True))
    after = grant.expires_at + timedelta(seconds=1)
    assert AccessGrant.objects.active(at=after).filter(grantee=world.bob).count() == 0
    assert AccessGrant.objects.active(at=grant.expires_at - timedelta(seconds=1)).filter(grantee=world.bob).count() == 2


def test_the_delegate_no_longer_sees_the_cards_after_the_leave(world: World, monkeypatch):
    handover = leave(world, ends_on=TODAY)
    grant = handover.items.get().grant
    later = grant.expires_at + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not Customer.objects.visible_to(world.bob).filter(pk=world.alice_card.pk).exists()
    assert not Visit.objects.visible_to(world.bob).filter(customer=world.alice_card).exists()


def test_leave_moves_planned_visits_and_collections_in_the_dates_only(world: World):
    inside = make_visit(world.alice_card, world.alice, TODAY + timedelta(days=1))
    outside = make_visit(world.alice_card, world.alice, TODAY + timedelta(days=9))
    done = make_visit(world.alice_card, world.alice, TODAY, status=VisitStatus.DONE)
    due = collection(world.alice_card, world.alice, TODAY + timedelta(days=2))
    late = collection(world.alice_card, world.alice, TODAY + timedelta(days=20))
    handover = leave(world)
    reps = dict(Visit.objects.values_list("pk", "rep_id"))
    assert (reps[inside.pk], reps[outside.pk], reps[done.pk]) == (world.bob.pk, world.alice.pk, world.alice.pk)
    assert Collection.objects.get(pk=due.pk).responsible == world.bob
    assert Collection.objects.get(pk=late.pk).responsible == world.alice
    assert handover.items.get().moved == {"visits": [inside.pk], "collections": [due.pk]}


def test_ending_a_leave_early_revokes_the_loans_and_moves_back_what_was_not_done(world: World):
    first = make_visit(world.alice_card, world.alice, TODAY + timedelta(days=1))
    second = make_visit(world.alice_card, world.alice, TODAY + timedelta(days=2))
    due = collection(world.alice_card, world.alice, TODAY + timedelta(days=2))
    handover = leave(world)
    Visit.objects.filter(pk=first.pk).update(status=VisitStatus.DONE)  # bob did this one
    services.handover_cancel(actor=world.mia, handover_id=handover.pk, version=handover.version)
    handover.refresh_from_db()
    assert handover.status == HandoverState.CANCELLED and handover.version == 2
    assert Visit.objects.get(pk=first.pk).rep == world.bob
    assert Visit.objects.get(pk=second.pk).rep == world.alice
    assert Collection.objects.get(pk=due.pk).responsible == world.alice
    assert AccessGrant.objects.get(grantee=world.bob).status == GrantStatus.REVOKED
    assert not Customer.objects.visible_to(world.bob).filter(pk=world.alice_card.pk).exists()


@pytest.mark.parametrize(("kw", "field"), [
    ({"ends_on": TODAY - timedelta(days=1)}, "ends_on"),
    ({"delegate": "alice"}, "delegate"),
    ({"delegate": "carol"}, "delegate"),
    ({"delegate": "fiona"}, "delegate"),
    ({"ends_on": TODAY + timedelta(days=400)}, "ends_on"),
    ({"starts_on": None}, "starts_on"),
])
def test_leave_refuses_bad_input_with_field_errors(world: World, kw, field):
    if "delegate" in kw:
        kw = {"delegate": getattr(world, kw["delegate"])}
    assert field in errors_of(leave, world=world, **kw)
    assert AccessGrant.objects.count() == 0


def test_a_leave_longer_than_the_loan_limit_is_allowed(world: World, settings):
    settings.KEHU_GRANT_MAX_DAYS = 30
    handover = leave(world, ends_on=TODAY + timedelta(days=59))
    assert handover.items.get().grant.days == 60


def test_two_leaves_of_one_rep_may_not_overlap(world: World):
    leave(world)
    assert errors_of(leave, world=world, starts_on=TODAY + timedelta(days=2), ends_on=TODAY + timedelta(days=8)) == {
        "starts_on": ["This rep already has a leave handed over in these dates."]}


def test_who_may_arrange_a_leave(world: World):
    with pytest.raises(Forbidden):
        leave(world, actor=world.bob, delegate=world.bob)
    with pytest.raises(Forbidden):
        leave(world, actor=world.fiona)
    assert errors_of(leave, world=world, actor=world.tom) == {"rep": ["No such user."]}
    assert errors_of(leave, world=world, rep=world.mia, delegate=world.bob) == {
        "rep": ["You may not arrange a handover for this user."]}
    assert leave(world, actor=world.dora).created_by == world.dora


def test_leave_is_audited(world: World):
    handover = leave(world)
    event = AuditEvent.objects.get(action=AuditAction.HANDOVER)
    assert (event.actor, event.object_id, event.detail["grants"], event.detail["delegate"]) == (
        world.mia, handover.pk, 1, world.bob.pk)


# --- Departure -----------------------------------------------------------------------------------

@pytest.fixture
def east_west(world: World):
    """Two successors on either side of Beijing, alice's cards spread between them."""
    place(make_customer("丰台区某店", world.mia, world.beijing), *BEIJING["fengtai"])
    place(world.bob_card, *BEIJING["chaoyang"])
    east = place(world.alice_card, 39.93, 116.46)  # near chaoyang → bob
    west = place(make_customer("丰台西店", world.alice, world.beijing), 39.86, 116.28)  # near fengtai → mia
    nowhere = make_customer("无坐标店", world.alice, world.beijing)
    return {"east": east, "west": west, "nowhere": nowhere}


def departure(world: World, successors=None, **kw):
    return services.handover_departure_create(
        actor=kw.pop("actor", world.mia), rep=world.alice, successors=successors or [world.bob, world.mia], **kw)


def test_departure_draft_proposes_the_nearest_successor(world: World, east_west):
    handover = departure(world)
    assert handover.status == HandoverState.DRAFT
    got = dict(handover.items.values_list("customer_id", "successor_id"))
    assert got[east_west["east"].pk] == world.bob.pk
    assert got[east_west["west"].pk] == world.mia.pk
    # without a position: the successor with the fewest cards (a tie, 2 and 2: the first chosen)
    assert got[east_west["nowhere"].pk] == world.bob.pk
    assert Customer.objects.get(pk=east_west["east"].pk).owner == world.alice  # nothing moves in a draft


def test_suggestion_on_a_clear_geometry():
    anchors = [selectors.Anchor(1, (39.9, 116.2), 5), selectors.Anchor(2, (39.9, 116.6), 0), selectors.Anchor(3, None, 9)]
    cards = [(10, (39.9, 116.25)), (11, (39.9, 116.55)), (12, None), (13, None), (14, (39.91, 116.41))]
    assert selectors.suggest_successors(cards, anchors) == {10: 1, 11: 2, 12: 2, 13: 2, 14: 2}


def test_suggestion_uses_the_base_when_a_successor_has_no_positioned_cards(world: World):
    FieldProfile.objects.create(user=world.bob, base_lat=Decimal("39.9"), base_lng=Decimal("116.6"))
    anchors = selectors.anchors([world.bob, world.mia])
    assert anchors == [selectors.Anchor(world.bob.pk, (39.9, 116.6), 1), selectors.Anchor(world.mia.pk, None, 0)]


def test_departure_moves_cards_open_visits_plans_and_collections_per_assignment(world: World, east_west):
    east, west = east_west["east"], east_west["west"]
    past = make_visit(east, world.alice, TODAY - timedelta(days=10), status=VisitStatus.DONE, summary="上次拜访")
    plan = VisitPlan.objects.create(rep=world.alice, week_start=TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=7))
    upcoming = make_visit(west, world.alice, plan.week_start + timedelta(days=1), plan=plan)
    out = make_visit(east, world.alice, TODAY, status=VisitStatus.CHECKED_IN)
    money = collection(west, world.alice, TODAY + timedelta(days=3))
    handover = departure(world)
    handover = services.handover_assign(
        actor=world.mia, handover_id=handover.pk, version=handover.version,
        assignments={east_west["nowhere"].pk: world.mia.pk})
    handover = services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    assert handover.status == HandoverState.APPLIED and handover.applied_at is not None
    owners = dict(Customer.objects.filter(pk__in=[east.pk, west.pk, east_west["nowhere"].pk]).values_list("pk", "owner_id"))
    assert owners == {east.pk: world.bob.pk, west.pk: world.mia.pk, east_west["nowhere"].pk: world.mia.pk}
    assert Visit.objects.get(pk=past.pk).rep == world.alice  # history keeps who visited
    moved = Visit.objects.get(pk=upcoming.pk)
    assert moved.rep == world.mia and moved.plan == VisitPlan.objects.get(rep=world.mia, week_start=plan.week_start)
    assert Visit.objects.get(pk=out.pk).rep == world.bob
    assert Collection.objects.get(pk=money.pk).responsible == world.mia
    item = handover.items.get(customer=west)
    assert item.moved == {"visits": [upcoming.pk], "collections": [money.pk]}
    assert handover.items.get(customer=east).snapshot["visits"][0]["summary"] == "上次拜访"
    # the card's history shows the owner change, made by mia
    record = Customer.history.filter(id=east.pk).order_by("-history_id").first()
    assert (record.owner_id, record.history_user, record.history_change_reason) == (
        world.bob.pk, world.mia, f"handover {handover.pk}")
    assert Customer.objects.get(pk=east.pk).version == 2


def test_departure_is_audited_per_handover_and_per_card(world: World, east_west):
    handover = departure(world)
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    reassigned = AuditEvent.objects.filter(action=AuditAction.REASSIGN)
    assert reassigned.count() == 3
    assert set(reassigned.values_list("object_id", flat=True)) == set(handover.items.values_list("customer_id", flat=True))
    assert reassigned.first().detail["owner"][0] == world.alice.pk
    assert AuditEvent.objects.filter(action=AuditAction.HANDOVER, object_id=handover.pk).count() == 2


def test_snapshot_lists_open_receivables(world: World):
    from kehu.sales.testing import make_booked_order, make_product

    make_booked_order(world.alice_card, [(make_product("P1", "酱油"), 3, "12.50")], due_date=TODAY + timedelta(days=5))
    snap = selectors.snapshots([world.alice_card.pk])[world.alice_card.pk]
    assert snap["open_total"] == "37.50" and snap["receivables"][0]["open_amount"] == "37.50"


def test_a_successor_outside_the_managers_team_is_refused(world: World):
    assert errors_of(departure, world=world, successors=[world.carol]) == {"successors": ["No such user."]}
    assert errors_of(departure, world=world, actor=world.dora, successors=[world.fiona]) == {
        "successors": ["Choose an active rep or manager of your own team."]}
    assert errors_of(departure, world=world, successors=[world.alice]) == {
        "successors": ["Choose someone other than the rep who hands over."]}


def test_apply_refuses_a_stale_version_and_changed_cards(world: World):
    handover = departure(world)
    with pytest.raises(VersionConflict):
        services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version + 1)
    make_customer("新卡", world.alice, world.beijing)
    assert "items" in errors_of(services.handover_apply, actor=world.mia, handover_id=handover.pk, version=handover.version)
    handover = services.handover_suggest(actor=world.mia, handover_id=handover.pk, version=handover.version)
    assert handover.items.count() == 2


def test_an_applied_departure_cannot_be_cancelled_but_a_draft_can(world: World):
    handover = departure(world)
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    handover.refresh_from_db()
    assert "status" in errors_of(services.handover_cancel, actor=world.mia, handover_id=handover.pk, version=handover.version)
    Customer.objects.filter(pk=world.alice_card.pk).update(owner=world.alice)
    draft = departure(world)
    services.handover_cancel(actor=world.mia, handover_id=draft.pk, version=draft.version)
    draft.refresh_from_db()
    assert draft.status == HandoverState.CANCELLED


def test_tom_cannot_see_or_arrange_alices_handover(world: World):
    handover = departure(world)
    with pytest.raises(NotFound):
        services.handover_apply(actor=world.tom, handover_id=handover.pk, version=handover.version)
    with pytest.raises(NotFound):
        selectors.handover_get(user=world.tom, handover_id=handover.pk)
    with pytest.raises(NotFound):
        selectors.handover_get(user=world.carol, handover_id=handover.pk)


# --- Acknowledgement -------------------------------------------------------------------------------

def test_each_successor_acknowledges_and_the_last_completes_it(world: World, east_west):
    handover = departure(world)
    handover = services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    assert list(selectors.handovers_awaiting(user=world.bob)) == [handover]
    services.handover_acknowledge(actor=world.bob, handover_id=handover.pk)
    handover.refresh_from_db()
    assert handover.status == HandoverState.APPLIED
    assert list(selectors.handovers_awaiting(user=world.bob)) == []
    assert "status" in errors_of(services.handover_acknowledge, actor=world.bob, handover_id=handover.pk)
    services.handover_acknowledge(actor=world.mia, handover_id=handover.pk)
    handover.refresh_from_db()
    assert handover.status == HandoverState.ACKNOWLEDGED
    assert AuditEvent.objects.filter(action=AuditAction.ACKNOWLEDGE, object_id=handover.pk).count() == 2


def test_the_successor_sees_only_their_items(world: World, east_west):
    handover = departure(world)
    handover = services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    mine = selectors.handover_items(user=world.bob, handover=selectors.handover_get(user=world.bob, handover_id=handover.pk))
    assert {i.successor_id for i in mine} == {world.bob.pk} and len(mine) >= 1
    assert len(selectors.handover_items(user=world.mia, handover=handover)) == 3


def test_someone_who_is_not_a_successor_cannot_acknowledge(world: World):
    handover = leave(world)
    with pytest.raises(Forbidden):
        services.handover_acknowledge(actor=world.mia, handover_id=handover.pk)
    with pytest.raises(NotFound):
        services.handover_acknowledge(actor=world.carol, handover_id=handover.pk)
    services.handover_acknowledge(actor=world.bob, handover_id=handover.pk)
    handover.refresh_from_db()
    assert handover.status == HandoverState.ACKNOWLEDGED


def test_an_unreported_visit_of_a_past_week_keeps_its_plan(world: World):
    last_week = TODAY - timedelta(days=TODAY.weekday() + 7)
    plan = VisitPlan.objects.create(rep=world.alice, week_start=last_week)
    out = make_visit(world.alice_card, world.alice, last_week + timedelta(days=1), plan=plan, status=VisitStatus.CHECKED_OUT)
    handover = departure(world, successors=[world.bob])
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    out.refresh_from_db()
    assert (out.rep, out.plan) == (world.bob, plan)
    assert not VisitPlan.objects.filter(rep=world.bob).exists()


def test_a_visit_at_a_borrowed_card_goes_to_the_cards_owner(world: World):
    borrowed = make_visit(world.bob_card, world.alice, TODAY + timedelta(days=1))
    money = collection(world.bob_card, world.alice, TODAY + timedelta(days=1))
    handover = departure(world, successors=[world.mia])
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    assert Visit.objects.get(pk=borrowed.pk).rep == world.bob
    assert Collection.objects.get(pk=money.pk).responsible == world.bob


def test_the_cards_history_shows_the_owner_change(world: World):
    from kehu.customers.selectors import customer_history

    handover = departure(world, successors=[world.bob])
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    card = Customer.objects.get(pk=world.alice_card.pk)
    entry = customer_history(user=world.mia, customer=card)[0]
    assert entry.user == str(world.mia)
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("owner", str(world.alice), str(world.bob))]


def test_a_departure_ends_the_reps_leave_and_the_lent_work_moves_on(world: World):
    visit = make_visit(world.alice_card, world.alice, TODAY + timedelta(days=1))
    on_leave = leave(world, delegate=world.mia)
    assert Visit.objects.get(pk=visit.pk).rep == world.mia
    handover = departure(world, successors=[world.bob])
    services.handover_apply(actor=world.mia, handover_id=handover.pk, version=handover.version)
    on_leave.refresh_from_db()
    assert on_leave.status == HandoverState.CANCELLED
    assert AccessGrant.objects.get(grantee=world.mia).status == GrantStatus.REVOKED
    assert Visit.objects.get(pk=visit.pk).rep == world.bob
