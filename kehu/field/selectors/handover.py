"""Reads of handovers (交接) for the asking user, the snapshot of a card, and the territory suggestion.

Who sees a handover: whoever may see its rep (`Handover.objects.visible_to`), plus the successors
(or the delegate) named in its items — a successor sees only their own items. Everything else
answers NotFound, the same as a handover that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from kehu.accounts import scope
from kehu.accounts.models import Role, User
from kehu.core.errors import NotFound, parse_id
from kehu.customers.models import Customer
from kehu.field.models import FieldProfile, Handover, HandoverItem, HandoverState, Visit, VisitStatus
from kehu.field.routing.matrix import haversine_m

LAST_VISITS = 3
SUCCESSOR_ROLES = (Role.REP, Role.MANAGER)
AWAITING = (HandoverState.APPLIED,)


def handover_queryset(*, user: Any) -> QuerySet[Handover]:
    """Handovers of reps `user` may see, and those handed over to `user` (a draft is the manager's
    working paper: its proposed successors do not see it yet)."""
    if not scope._is_active(user):
        return Handover.objects.none()
    mine = HandoverItem.objects.filter(successor=user, handover__applied_at__isnull=False).values("handover_id")
    seen = Handover.objects.visible_to(user).values("pk")
    return Handover.objects.filter(Q(pk__in=seen) | Q(pk__in=mine)).select_related("rep", "created_by")


def handover_get(*, user: Any, handover_id: Any) -> Handover:
    handover = handover_queryset(user=user).filter(pk=parse_id(handover_id)).first()
    if handover is None:
        raise NotFound
    return handover


def sees_all_items(user: Any, handover: Handover) -> bool:
    """The rep's side (rep, managers, see-all roles) sees every item; a successor only their own."""
    return Handover.objects.visible_to(user).filter(pk=handover.pk).exists()


def handover_items(*, user: Any, handover: Handover, successor_id: int | None = None) -> QuerySet[HandoverItem]:
    items = handover.items.select_related("customer", "successor", "grant").order_by("customer__name", "id")
    if not sees_all_items(user, handover):
        items = items.filter(successor=user)
    if successor_id is not None:
        items = items.filter(successor_id=successor_id)
    return items


def handovers_awaiting(*, user: Any) -> QuerySet[Handover]:
    """Handovers where `user` still has items to acknowledge."""
    pending = HandoverItem.objects.filter(successor=user, acknowledged_at__isnull=True).values("handover_id")
    return handover_queryset(user=user).filter(pk__in=pending, status__in=AWAITING)


def is_valid_successor(actor: Any, rep: User, user: User | None) -> bool:
    return bool(
        user is not None and user.is_active and user.pk != rep.pk and user.role in SUCCESSOR_ROLES
        and scope.manages_rep(actor, user)
    )


def rep_cards(rep: User) -> QuerySet[Customer]:
    """The cards a handover covers: the rep's own, not archived."""
    return Customer.objects.filter(owner=rep, archived_at__isnull=True)


# --- The card's state at hand-over time (frozen into HandoverItem.snapshot) -----------------------

def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def snapshots(customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per card: open receivables, pending sales plans, the last visits and their notes, the card notes.

    A few queries for all cards together, never one per card."""
    from kehu.sales.models import Order, SalesPlan

    ids = list(customer_ids)
    out: dict[int, dict[str, Any]] = {
        pk: {"notes": notes, "receivables": [], "open_total": "0.00", "plans": [], "visits": []}
        for pk, notes in Customer.objects.filter(pk__in=ids).values_list("pk", "notes")
    }
    totals: dict[int, Decimal] = {}
    orders = Order.objects.open().filter(customer_id__in=ids).order_by("customer_id", "due_date", "id")
    for order in orders.values("customer_id", "number", "order_date", "due_date", "open_amount"):
        cid = order["customer_id"]
        out[cid]["receivables"].append({
            "number": order["number"], "order_date": str(order["order_date"]),
            "due_date": str(order["due_date"] or ""), "open_amount": _money(order["open_amount"]),
        })
        totals[cid] = totals.get(cid, Decimal(0)) + order["open_amount"]
    for cid, total in totals.items():
        out[cid]["open_total"] = _money(total)
    month = timezone.localdate().replace(day=1)
    plans = SalesPlan.objects.filter(customer_id__in=ids, month__gte=month).order_by("customer_id", "month")
    for plan in plans.values("customer_id", "month", "status", "total_amount", "note"):
        out[plan["customer_id"]]["plans"].append({
            "month": f"{plan['month']:%Y-%m}", "status": plan["status"],
            "amount": _money(plan["total_amount"]), "note": plan["note"],
        })
    visits = (
        Visit.objects.filter(customer_id__in=ids, status=VisitStatus.DONE)
        .select_related("rep").order_by("customer_id", "-planned_on", "-id")
    )
    for visit in visits.iterator():
        rows = out[visit.customer_id]["visits"]
        if len(rows) < LAST_VISITS:
            rows.append({
                "date": str(visit.planned_on), "rep": str(visit.rep), "outcome": visit.outcome,
                "summary": visit.summary, "next_steps": visit.next_steps,
            })
    return out


# --- Territory suggestion ------------------------------------------------------------------------

Point = tuple[float, float]


@dataclass(frozen=True)
class Anchor:
    """Where a successor works: the centre of their positioned cards, else their base."""

    user_id: int
    point: Point | None
    cards: int


def anchors(successors: Iterable[User], exclude: Sequence[int] = ()) -> list[Anchor]:
    ids = [u.pk for u in successors]
    cards = Customer.objects.filter(owner_id__in=ids, archived_at__isnull=True).exclude(pk__in=list(exclude))
    counts = dict(cards.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    centres = {
        row["owner_id"]: (float(row["lat"]), float(row["lng"]))
        for row in cards.filter(lat__isnull=False, lng__isnull=False).values("owner_id")
        .annotate(lat=Avg("lat"), lng=Avg("lng"))
    }
    bases = {
        p.user_id: (float(p.base_lat), float(p.base_lng))
        for p in FieldProfile.objects.filter(user_id__in=ids, base_lat__isnull=False, base_lng__isnull=False)
    }
    return [Anchor(pk, centres.get(pk) or bases.get(pk), counts.get(pk, 0)) for pk in ids]


def suggest_successors(cards: Sequence[tuple[int, Point | None]], successor_anchors: Sequence[Anchor]) -> dict[int, int]:
    """Card id → successor id: the nearest anchor for a positioned card; otherwise the successor
    with the fewest cards so far (counting what this suggestion already gave them). Ties: the
    first successor in the given order."""
    if not successor_anchors:
        return {}
    load = {a.user_id: a.cards for a in successor_anchors}
    placed = [a for a in successor_anchors if a.point is not None]
    out: dict[int, int] = {}
    for card_id, point in cards:
        if point is not None and placed:
            best = min(placed, key=lambda a: haversine_m(point, a.point))  # type: ignore[arg-type]
            chosen = best.user_id
        else:
            chosen = min(successor_anchors, key=lambda a: load[a.user_id]).user_id
        out[card_id] = chosen
        load[chosen] += 1
    return out


def card_points(customers: QuerySet[Customer]) -> list[tuple[int, Point | None]]:
    rows = customers.order_by("pk").values_list("pk", "lat", "lng")
    return [(pk, (float(lat), float(lng)) if lat is not None and lng is not None else None) for pk, lat, lng in rows]


# --- The report ------------------------------------------------------------------------------------

@dataclass
class ReportRow:
    item: HandoverItem
    snapshot: dict[str, Any]


def report_rows(*, user: Any, handover: Handover, successor_id: int | None = None) -> list[ReportRow]:
    """The report's rows: frozen snapshots once applied; the live state on a draft (a preview)."""
    from kehu.sales.models import PlanStatus

    items = list(handover_items(user=user, handover=handover, successor_id=successor_id))
    live = snapshots([i.customer_id for i in items if not i.snapshot])
    rows = [ReportRow(i, dict(i.snapshot or live.get(i.customer_id, {}))) for i in items]
    labels = dict(PlanStatus.choices)
    for row in rows:  # the snapshot keeps codes; the report speaks the reader's language
        row.snapshot["plans"] = [{**p, "status": labels.get(p.get("status"), p.get("status"))}
                                 for p in row.snapshot.get("plans", [])]
    return rows


def report_totals(rows: Sequence[ReportRow]) -> dict[str, Any]:
    total = sum((Decimal(r.snapshot.get("open_total", "0")) for r in rows), Decimal(0))
    return {"customers": len(rows), "open_total": f"{total:.2f}"}


def open_receivable_totals(customer_ids: Sequence[int]) -> dict[int, Decimal]:
    """Live open receivables per card (the detail page's column on a draft)."""
    from kehu.sales.models import Order

    rows = Order.objects.open().filter(customer_id__in=list(customer_ids)).values("customer_id")
    return dict(rows.annotate(total=Sum("open_amount")).values_list("customer_id", "total"))


def team_members(*, actor: Any) -> QuerySet[User]:
    """Active reps and managers `actor` may see: who may hand over, and who may take over."""
    q = scope.users_visible_q(actor)
    users = User.objects.filter(is_active=True, role__in=SUCCESSOR_ROLES).select_related("org_unit")
    return (users if q is None else users.filter(q)).order_by("username")


def handover_list(*, user: Any, limit: int = 200) -> list[Handover]:
    return list(handover_queryset(user=user).order_by("-created_at", "-id")[:limit])
