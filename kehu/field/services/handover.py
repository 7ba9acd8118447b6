"""Handover (交接): a rep's work passed to a delegate for a leave, or to successors at departure.

Leave: one approved card loan (AccessGrant) per card for the leave's dates — it ends by itself —
plus the rep's planned visits and open collections due in those dates, moved to the delegate and
written down in `HandoverItem.moved` so ending the leave early moves back what was not done.

Departure: a draft lists the rep's cards with a proposed successor each (nearest by territory,
see `selectors.suggest_successors`); the manager edits; applying freezes a snapshot per card,
changes the owner in bulk (one history record per card, so the card's history shows who owned
it before), moves open visits and open collections, and audits one HANDOVER row plus one
REASSIGN row per card. Sales plans belong to the card and follow it without being touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus, OrgUnit, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.models import Customer
from kehu.field.models import Handover, HandoverItem, HandoverKind, HandoverState, Visit, VisitPlan, VisitStatus
from kehu.field.selectors import handover as selectors

# A leave longer than this is a departure (or a new leave afterwards). The loan limit
# KEHU_GRANT_MAX_DAYS is for loans people ask for; a leave is arranged by the rep's manager.
MAX_LEAVE_DAYS = 186
BATCH = 500


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _user(actor: User, value: Any, field: str) -> User:
    """A user named in the request, as a field error when missing or invisible to the actor."""
    q = scope.users_visible_q(actor)
    users = User.objects.select_related("org_unit")
    users = users if q is None else users.filter(q)
    try:
        found = users.filter(pk=int(str(getattr(value, "pk", value)))).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationError({field: [_("No such user.")]})
    return found


def _arranged_rep(actor: User, value: Any) -> User:
    if not scope.can_review_field_work(actor):
        raise Forbidden(_("Only managers, directors and administrators arrange handovers."))
    rep = _user(actor, value, "rep")
    if not scope.can_hand_over(actor, rep):
        raise ValidationError({"rep": [_("You may not arrange a handover for this user.")]})
    return rep


def _check_successor(actor: User, rep: User, user: User, field: str) -> None:
    if user.pk == rep.pk:
        raise ValidationError({field: [_("Choose someone other than the rep who hands over.")]})
    if not selectors.is_valid_successor(actor, rep, user):
        raise ValidationError({field: [_("Choose an active rep or manager of your own team.")]})


def _locked(actor: User, handover_id: Any) -> Handover:
    pk = selectors.handover_get(user=actor, handover_id=handover_id).pk
    return Handover.objects.select_for_update(of=("self",)).select_related("rep__org_unit").get(pk=pk)


def _for_arranger(actor: User, handover_id: Any, version: Any) -> Handover:
    handover = _locked(actor, handover_id)
    if not Handover.objects.visible_to(actor).filter(pk=handover.pk).exists():
        raise NotFound  # a successor who is not on the rep's side cannot arrange it
    if not scope.can_hand_over(actor, handover.rep):
        raise Forbidden(_("Only the rep's manager arranges this handover."))
    if version is None:
        raise ValidationError({"version": [_("Send the version you read so concurrent edits are caught.")]})
    if parse_version(version) != handover.version:
        raise VersionConflict(handover)
    return handover


def _bump(handover: Handover, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(handover, name, value)
    handover.version += 1
    handover.save()


def _move_rows(model: Any, ids: Sequence[int], **changes: Any) -> None:
    for start in range(0, len(ids), BATCH):
        model.objects.filter(pk__in=ids[start:start + BATCH]).update(
            version=F("version") + 1, updated_at=timezone.now(), **changes)


# --- Leave -----------------------------------------------------------------------------------------

def _validate_leave(rep: User, delegate: User, starts_on: date | None, ends_on: date | None) -> None:
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("Enter the first day of the leave.")]
    if ends_on is None:
        errors["ends_on"] = [_("Enter the last day of the leave.")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The leave cannot end before it starts.")]
    elif starts_on is not None and (ends_on - starts_on).days + 1 > MAX_LEAVE_DAYS:
        errors["ends_on"] = [_("A leave lasts at most %(n)d days; longer absences are departures.") % {"n": MAX_LEAVE_DAYS}]
    elif ends_on < timezone.localdate():
        errors["ends_on"] = [_("The leave is already over.")]
    if errors:
        raise ValidationError(errors)
    overlapping = Handover.objects.filter(
        rep=rep, kind=HandoverKind.LEAVE, status__in=(HandoverState.APPLIED, HandoverState.ACKNOWLEDGED),
        starts_on__lte=ends_on, ends_on__gte=starts_on,
    )
    if overlapping.exists():
        raise ValidationError({"starts_on": [_("This rep already has a leave handed over in these dates.")]})


@transaction.atomic
def handover_leave_create(
    *, actor: User, rep: Any, delegate: Any, starts_on: date | None, ends_on: date | None, note: str = "",
    request: HttpRequest | None = None,
) -> Handover:
    """The delegate borrows every card of the rep for the leave and takes over its visits and collections."""
    rep = _arranged_rep(actor, rep)
    delegate = _user(actor, delegate, "delegate")
    _check_successor(actor, rep, delegate, "delegate")
    _validate_leave(rep, delegate, starts_on, ends_on)
    assert starts_on is not None and ends_on is not None
    now = timezone.now()
    handover = Handover.objects.create(
        kind=HandoverKind.LEAVE, rep=rep, starts_on=starts_on, ends_on=ends_on, status=HandoverState.APPLIED,
        note=note.strip(), created_by=actor, applied_at=now,
    )
    customers = list(selectors.rep_cards(rep).values_list("pk", flat=True))
    reason = _("Handover #%(id)d: %(rep)s on leave %(start)s – %(end)s") % {
        "id": handover.pk, "rep": rep, "start": f"{starts_on:%Y-%m-%d}", "end": f"{ends_on:%Y-%m-%d}"}
    grants = AccessGrant.objects.bulk_create([
        AccessGrant(
            customer_id=pk, grantee=delegate, requested_by=actor, reason=reason, days=(ends_on - starts_on).days + 1,
            status=GrantStatus.APPROVED, requested_at=now, decided_by=actor, decided_at=now,
            starts_at=_local_start(starts_on), expires_at=_local_start(ends_on + timedelta(days=1)),
        ) for pk in customers
    ], batch_size=BATCH)
    grant_of = {g.customer_id: g for g in grants}
    # Only at the rep's own cards: the delegate borrows those (the rep's own loans are not passed on).
    own = selectors.rep_cards(rep).values("pk")
    visits = list(Visit.objects.filter(
        rep=rep, status=VisitStatus.PLANNED, planned_on__range=(starts_on, ends_on), customer__in=own,
    ).values_list("pk", "customer_id"))
    collections = list(_open_collections(rep).filter(
        due_on__range=(starts_on, ends_on), customer__in=own).values_list("pk", "customer_id"))
    moved = _moved_by_customer(visits, collections)
    _move_rows(Visit, [pk for pk, _c in visits], rep=delegate)
    _move_rows(_collection_model(), [pk for pk, _c in collections], responsible=delegate)
    snap = selectors.snapshots(customers)
    HandoverItem.objects.bulk_create([
        HandoverItem(handover=handover, customer_id=pk, successor=delegate, grant=grant_of.get(pk),
                     moved=moved.pop(pk, {}), snapshot=snap.get(pk, {}))
        for pk in customers
    ], batch_size=BATCH)
    audit_record(actor=actor, action=AuditAction.HANDOVER, obj=handover, request=request, detail={
        "kind": "leave", "rep": rep.pk, "delegate": delegate.pk, "grants": len(grants),
        "visits": [pk for pk, _c in visits], "collections": [pk for pk, _c in collections],
    })
    return handover


def _collection_model() -> Any:
    from kehu.sales.models import Collection

    return Collection


def _open_collections(rep: User) -> Any:
    from kehu.sales.models import CollectionStatus

    return _collection_model().objects.filter(responsible=rep, status=CollectionStatus.OPEN)


Moved = dict[int, dict[str, list[int]]]


def _moved_by_customer(visits: Sequence[tuple[int, int]], collections: Sequence[tuple[int, int]]) -> Moved:
    moved: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"visits": [], "collections": []})
    for pk, customer_id in visits:
        moved[customer_id]["visits"].append(pk)
    for pk, customer_id in collections:
        moved[customer_id]["collections"].append(pk)
    return dict(moved)


@transaction.atomic
def handover_cancel(*, actor: User, handover_id: Any, version: Any, request: HttpRequest | None = None) -> Handover:
    """A draft is dropped; a leave ends now: loans revoked, undone visits and open collections move back.
    An applied departure is final (cards changed owner); a new handover moves them again."""
    handover = _for_arranger(actor, handover_id, version)
    if handover.status == HandoverState.CANCELLED:
        raise ValidationError({"status": [_("This handover is already cancelled.")]})
    if handover.kind == HandoverKind.DEPARTURE and handover.status != HandoverState.DRAFT:
        raise ValidationError({"status": [_("A departure that was handed over cannot be undone; hand the cards over again.")]})
    detail: dict[str, Any] = {"kind": handover.kind, "cancelled": True}
    if handover.kind == HandoverKind.LEAVE:
        detail.update(_end_leave(handover))
    _bump(handover, status=HandoverState.CANCELLED)
    audit_record(actor=actor, action=AuditAction.HANDOVER, obj=handover, request=request, detail=detail)
    return handover


def _end_leave(handover: Handover) -> dict[str, list[int]]:
    from kehu.sales.models import CollectionStatus

    now = timezone.now()
    items = list(handover.items.all())
    grant_ids = [i.grant_id for i in items if i.grant_id]
    live = AccessGrant.objects.filter(pk__in=grant_ids).active(at=now)
    revoked = list(live.values_list("pk", flat=True))
    future = AccessGrant.objects.filter(pk__in=grant_ids, status=GrantStatus.APPROVED, starts_at__gt=now)
    revoked += list(future.values_list("pk", flat=True))
    AccessGrant.objects.filter(pk__in=revoked).update(status=GrantStatus.REVOKED, expires_at=now)
    visit_ids = [pk for i in items for pk in i.moved.get("visits", [])]
    collection_ids = [pk for i in items for pk in i.moved.get("collections", [])]
    delegate_id = items[0].successor_id if items else None
    back_visits = list(Visit.objects.filter(
        pk__in=visit_ids, rep_id=delegate_id, status=VisitStatus.PLANNED).values_list("pk", flat=True))
    back_collections = list(_collection_model().objects.filter(
        pk__in=collection_ids, responsible_id=delegate_id, status=CollectionStatus.OPEN).values_list("pk", flat=True))
    _move_rows(Visit, back_visits, rep=handover.rep)
    _move_rows(_collection_model(), back_collections, responsible=handover.rep)
    return {"grants_revoked": revoked, "visits_back": back_visits, "collections_back": back_collections}


# --- Departure -----------------------------------------------------------------------------------

def _successors(actor: User, rep: User, values: Sequence[Any]) -> list[User]:
    if not values:
        raise ValidationError({"successors": [_("Choose at least one successor.")]})
    users: list[User] = []
    for value in values:
        user = _user(actor, value, "successors")
        _check_successor(actor, rep, user, "successors")
        if user not in users:
            users.append(user)
    return users


@transaction.atomic
def handover_departure_create(
    *, actor: User, rep: Any, successors: Sequence[Any], starts_on: date | None = None, note: str = "",
    request: HttpRequest | None = None,
) -> Handover:
    """A draft: every card of the rep with the nearest of the chosen successors proposed."""
    rep = _arranged_rep(actor, rep)
    chosen = _successors(actor, rep, successors)
    if Handover.objects.filter(rep=rep, kind=HandoverKind.DEPARTURE, status=HandoverState.DRAFT).exists():
        raise ValidationError({"rep": [_("A departure draft for this rep exists already; open it or cancel it.")]})
    handover = Handover.objects.create(
        kind=HandoverKind.DEPARTURE, rep=rep, starts_on=starts_on or timezone.localdate(), note=note.strip(),
        created_by=actor,
    )
    _propose(handover, chosen)
    audit_record(actor=actor, action=AuditAction.HANDOVER, obj=handover, request=request, detail={
        "kind": "departure", "draft": True, "rep": rep.pk, "successors": [u.pk for u in chosen]})
    return handover


def _propose(handover: Handover, chosen: Sequence[User]) -> None:
    """Items for the rep's current cards, each with the suggested successor (replaces the old items)."""
    cards = selectors.rep_cards(handover.rep)
    choice = selectors.suggest_successors(selectors.card_points(cards), selectors.anchors(chosen))
    handover.items.all().delete()  # a draft's proposal, never anything handed over
    HandoverItem.objects.bulk_create(
        [HandoverItem(handover=handover, customer_id=pk, successor_id=uid) for pk, uid in choice.items()],
        batch_size=BATCH,
    )


def _draft(actor: User, handover_id: Any, version: Any) -> Handover:
    handover = _for_arranger(actor, handover_id, version)
    if handover.kind != HandoverKind.DEPARTURE or handover.status != HandoverState.DRAFT:
        raise ValidationError({"status": [_("Only a departure draft can be changed.")]})
    return handover


@transaction.atomic
def handover_suggest(
    *, actor: User, handover_id: Any, version: Any, successors: Sequence[Any] | None = None,
    request: HttpRequest | None = None,
) -> Handover:
    """Propose again (after cards changed, or with other successors): nearest successor per card."""
    handover = _draft(actor, handover_id, version)
    ids = successors if successors else sorted(set(handover.items.values_list("successor_id", flat=True)))
    _propose(handover, _successors(actor, handover.rep, list(ids)))
    _bump(handover)
    return handover


@transaction.atomic
def handover_assign(
    *, actor: User, handover_id: Any, version: Any, assignments: Mapping[Any, Any], request: HttpRequest | None = None,
) -> Handover:
    """Change successors by hand: {customer id: successor id}."""
    handover = _draft(actor, handover_id, version)
    items = {i.customer_id: i for i in handover.items.all()}
    users: dict[int, User] = {}
    changed = []
    for customer, successor in assignments.items():
        try:
            item = items.get(int(str(customer)))
        except ValueError:
            item = None
        if item is None:
            raise ValidationError({"assignments": [_("Customer %(id)s is not in this handover.") % {"id": str(customer)[:20]}]})
        user = _user(actor, successor, "assignments")
        if user.pk not in users:
            _check_successor(actor, handover.rep, user, "assignments")
            users[user.pk] = user
        item.successor = user
        changed.append(item)
    HandoverItem.objects.bulk_update(changed, ["successor"], batch_size=BATCH)
    _bump(handover)
    return handover


@transaction.atomic
def handover_apply(*, actor: User, handover_id: Any, version: Any, request: HttpRequest | None = None) -> Handover:
    """Hand the cards over: owners change, open visits and collections follow, a snapshot is frozen."""
    handover = _draft(actor, handover_id, version)
    rep = handover.rep
    items = list(handover.items.select_related("successor__org_unit"))
    current = set(selectors.rep_cards(rep).values_list("pk", flat=True))
    if current != {i.customer_id for i in items}:
        raise ValidationError({"items": [_("The rep's cards changed since this draft; suggest again, then apply.")]})
    if not items:
        raise ValidationError({"items": [_("The rep has no cards to hand over.")]})
    for user in {i.successor for i in items}:
        _check_successor(actor, rep, user, "items")
    _end_leaves(actor, rep, request)
    snap = selectors.snapshots([i.customer_id for i in items])
    moved = _reassign_work(rep, {i.customer_id: i.successor for i in items})
    for item in items:
        item.snapshot, item.moved = snap.get(item.customer_id, {}), moved.pop(item.customer_id, {})
    # Rewritten with the same ids rather than bulk_update: its CASE per row took seconds for thousands.
    handover.items.all().delete()
    HandoverItem.objects.bulk_create(items, batch_size=BATCH)
    _change_owners(actor, handover, items)
    _bump(handover, status=HandoverState.APPLIED, applied_at=timezone.now())
    by_successor: dict[int, int] = defaultdict(int)
    for item in items:
        by_successor[item.successor_id] += 1
    audit_record(actor=actor, action=AuditAction.HANDOVER, obj=handover, request=request, detail={
        "kind": "departure", "rep": rep.pk, "customers": len(items), "successors": dict(by_successor),
        "other": moved})
    return handover


def _end_leaves(actor: User, rep: User, request: HttpRequest | None) -> None:
    """A rep who leaves is no longer on leave: the delegate's loans end, and the work lent to the
    delegate comes back first, so that it moves on to the successors with the rest."""
    leaves = Handover.objects.select_for_update().filter(
        rep=rep, kind=HandoverKind.LEAVE, status__in=(HandoverState.APPLIED, HandoverState.ACKNOWLEDGED),
        ends_on__gte=timezone.localdate())
    for leave in leaves:
        detail: dict[str, Any] = {"kind": "leave", "cancelled": True, "by_departure": True, **_end_leave(leave)}
        _bump(leave, status=HandoverState.CANCELLED)
        audit_record(actor=actor, action=AuditAction.HANDOVER, obj=leave, request=request, detail=detail)


def _reassign_work(rep: User, owner_of: Mapping[int, User]) -> Moved:
    """Open visits and open collections of the rep go to the card's successor; at cards outside the
    handover (the rep's loans) to the card's owner, or stay (listed) when that is the rep."""
    visits = list(Visit.objects.filter(rep=rep).open().values_list("pk", "customer_id", "planned_on"))
    collections = list(_open_collections(rep).values_list("pk", "customer_id"))
    others = {c for _p, c, _d in visits} | {c for _p, c in collections}
    others -= set(owner_of)
    owners = dict(Customer.objects.filter(pk__in=others, owner__is_active=True).exclude(owner=rep)
                  .values_list("pk", "owner"))
    users = {u.pk: u for u in User.objects.filter(pk__in=set(owners.values()))}
    target = {**{c: users[o] for c, o in owners.items()}, **owner_of}
    plans: dict[tuple[int, date], VisitPlan] = {}
    this_week = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    moves: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    moved_visits, moved_collections = [], []
    for pk, customer_id, day in visits:
        user = target.get(customer_id)
        if user is None:
            continue
        week = day - timedelta(days=day.weekday())
        if (user.pk, week) not in plans and week >= this_week:
            plans[(user.pk, week)] = VisitPlan.objects.get_or_create(rep=user, week_start=week)[0]
        plan = plans.get((user.pk, week))
        moves[(user.pk, plan.pk if plan else None)].append(pk)
        moved_visits.append((pk, customer_id))
    for (user_id, plan_id), ids in moves.items():
        # A visit of a past week (still unreported) keeps its plan; upcoming ones join the successor's week.
        _move_rows(Visit, ids, rep_id=user_id, **({"plan_id": plan_id} if plan_id else {}))
    by_user: dict[int, list[int]] = defaultdict(list)
    for pk, customer_id in collections:
        user = target.get(customer_id)
        if user is not None:
            by_user[user.pk].append(pk)
            moved_collections.append((pk, customer_id))
    for user_id, ids in by_user.items():
        _move_rows(_collection_model(), ids, responsible_id=user_id)
    return _moved_by_customer(moved_visits, moved_collections)


def _card_unit(card_unit: OrgUnit | None, successor: User) -> int | None:
    """A card stays in its org unit when the successor works there (or below); else it follows them."""
    unit = successor.org_unit
    if unit is None or (card_unit is not None and unit.path.startswith(card_unit.path)):
        return card_unit.pk if card_unit else None
    return unit.pk


def _change_owners(actor: User, handover: Handover, items: Sequence[HandoverItem]) -> None:
    """One UPDATE per (successor, org unit), one history record and one REASSIGN audit row per card."""
    reason = f"handover {handover.pk}"
    cards = {c.pk: c for c in Customer.objects.filter(pk__in=[i.customer_id for i in items]).select_related("org_unit")}
    groups: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for item in items:
        groups[(item.successor_id, _card_unit(cards[item.customer_id].org_unit, item.successor))].append(item.customer_id)
    history = get_history_manager_for_model(Customer)
    for (owner_id, unit_id), ids in groups.items():
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            Customer.objects.filter(pk__in=batch).update(
                owner_id=owner_id, org_unit_id=unit_id, version=F("version") + 1, updated_at=timezone.now())
            history.bulk_history_create(
                list(Customer.objects.filter(pk__in=batch)), update=True, default_user=actor,
                default_change_reason=reason)
    now = timezone.now()
    AuditEvent.objects.bulk_create([
        AuditEvent(
            actor=actor, username=actor.get_username(), action=AuditAction.REASSIGN, object_type="customer",
            object_id=item.customer_id, object_repr=str(cards[item.customer_id])[:200], at=now,
            detail={"handover": handover.pk, "owner": [handover.rep_id, item.successor_id]},
        ) for item in items
    ], batch_size=BATCH)


# --- Acknowledgement and the report ----------------------------------------------------------------

@transaction.atomic
def handover_acknowledge(*, actor: User, handover_id: Any, request: HttpRequest | None = None) -> Handover:
    """The successor (or delegate) confirms they took over their cards; the last one completes it."""
    handover = _locked(actor, handover_id)
    mine = handover.items.filter(successor=actor)
    if not mine.exists():
        raise Forbidden(_("Only a successor of this handover acknowledges it."))
    if handover.status != HandoverState.APPLIED:
        raise ValidationError({"status": [_("This handover is not waiting for acknowledgement.")]})
    count = mine.filter(acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
    if count == 0:
        raise ValidationError({"status": [_("You have acknowledged this handover already.")]})
    done = not handover.items.filter(acknowledged_at__isnull=True).exists()
    _bump(handover, **({"status": HandoverState.ACKNOWLEDGED} if done else {}))
    audit_record(actor=actor, action=AuditAction.ACKNOWLEDGE, obj=handover, request=request,
                 detail={"items": count, "complete": done})
    return handover


def handover_report(
    *, actor: User, handover_id: Any, successor_id: int | None = None, request: HttpRequest | None = None,
) -> bytes:
    """The handover report as PDF (raises PdfUnavailable without Pango); every print is audited."""
    from kehu.core.pdf import render_pdf

    handover = selectors.handover_get(user=actor, handover_id=handover_id)
    rows = selectors.report_rows(user=actor, handover=handover, successor_id=successor_id)
    context = {"handover": handover, "rows": rows, "totals": selectors.report_totals(rows),
               "printed_at": timezone.localtime(), "printed_by": actor, "is_preview": handover.status == HandoverState.DRAFT}
    pdf = render_pdf("field/handover/report.html", context, request)
    audit_record(actor=actor, action=AuditAction.PRINT, obj=handover, request=request,
                 detail={"report": "handover", "customers": len(rows), "successor": successor_id})
    return pdf
