"""Territory suggestions: move a card to a neighbouring rep when it sits among that rep's customers
or when its rep is overloaded next to a lighter one; applied only when a manager accepts.

How the suggester decides (docs/architecture.md, "Route and territory review"):
- a rep's *centre* is the median of their positioned cards (their profile's base when they have none);
- a rep's *workload* is the visits their live cards need in the period by cadence (days / every);
- reps are *neighbours* when their centres are within NEIGHBOUR_M of each other;
- a card of X goes to neighbour Y when its nearest card of Y is under CLOSER_RATIO of its nearest
  other card of X (and at least MIN_GAIN_M closer), and it lies nearer Y's centre than X's
  ("closer"); or, when X's workload exceeds Y's by BALANCE_RATIO, when it is at least as near Y's
  cards as X's own ("balance"), until the two workloads would cross;
- `travel_change_s` estimates one visit's detour with Y minus with X: out and back from the nearest
  card, straight line × road factor at the average speed (negative: time saved).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer, CustomerStatus
from kehu.customers.services import customer_update
from kehu.field.cadence import visit_every_days
from kehu.field.models import FieldProfile, SuggestionState, TerritorySuggestion, Visit, VisitStatus
from kehu.field.selectors.review import reviewed_reps
from kehu.field.selectors.territory import median_point, territory_cards

NEIGHBOUR_M = 30_000
CLOSER_RATIO = 0.5
MIN_GAIN_M = 1_000
BALANCE_RATIO = 1.25
MAX_SUGGESTIONS = 60
METRES_PER_DEGREE = 111_195.0


@dataclass
class _Card:
    id: int
    owner: int
    lat: float
    lng: float
    load: float  # visits needed in the period


@dataclass
class _Move:
    card: _Card
    to_rep: int
    gain_m: float  # nearest own card minus nearest card of the other rep (metres)
    why: str


def _flat(lat: float, lng: float, lat0: float) -> tuple[float, float]:
    """Local equirectangular projection in metres: nearest-neighbour search without trigonometry per pair."""
    return (lng * METRES_PER_DEGREE * math.cos(math.radians(lat0)), lat * METRES_PER_DEGREE)


def _nearest(point: tuple[float, float], others: list[tuple[float, float]]) -> float:
    return min((math.dist(point, o) for o in others), default=math.inf)


def _detour_seconds(metres: float) -> int:
    return round(2 * metres * settings.KEHU_ROAD_FACTOR / (settings.KEHU_TRAVEL_SPEED_KMH * 1000 / 3600))


class _Territories:
    def __init__(self, cards: list[_Card], centres: dict[int, tuple[float, float]], loads: dict[int, float]) -> None:
        lat0 = sum(c[0] for c in centres.values()) / len(centres)
        self.lat0 = lat0
        self.cards = cards
        self.flat = {c.id: _flat(c.lat, c.lng, lat0) for c in cards}
        self.by_rep: dict[int, list[_Card]] = defaultdict(list)
        for card in cards:
            self.by_rep[card.owner].append(card)
        self.centres = {rep: _flat(lat, lng, lat0) for rep, (lat, lng) in centres.items()}
        self.loads = dict(loads)
        self.neighbours = {
            x: [y for y in centres if y != x and math.dist(self.centres[x], self.centres[y]) <= NEIGHBOUR_M]
            for x in centres
        }

    def _points(self, rep: int, without: int | None = None) -> list[tuple[float, float]]:
        pts = [self.flat[c.id] for c in self.by_rep.get(rep, []) if c.id != without]
        return pts or [self.centres[rep]]

    def candidates(self) -> list[_Move]:
        closer: list[_Move] = []
        balance: dict[tuple[int, int], list[_Move]] = defaultdict(list)
        for card in self.cards:
            if len(self.by_rep[card.owner]) < 2 or not self.neighbours.get(card.owner):
                continue
            here = self.flat[card.id]
            own = _nearest(here, self._points(card.owner, without=card.id))
            to_own_centre = math.dist(here, self.centres[card.owner])
            best: tuple[float, int] | None = None
            for other in self.neighbours[card.owner]:
                near = _nearest(here, self._points(other))
                if best is None or near < best[0]:
                    best = (near, other)
            if best is None:
                continue
            near, other = best
            nearer_centre = math.dist(here, self.centres[other]) < to_own_centre
            if near < CLOSER_RATIO * own and own - near >= MIN_GAIN_M and nearer_centre:
                closer.append(_Move(card, other, own - near, "closer"))
            elif near <= own and nearer_centre and self.loads[card.owner] > BALANCE_RATIO * self.loads[other]:
                balance[(card.owner, other)].append(_Move(card, other, own - near, "balance"))
        moves = []
        for move in sorted(closer, key=lambda m: -m.gain_m):
            self._shift(move)
            moves.append(move)
        for (x, y), options in balance.items():
            for move in sorted(options, key=lambda m: -m.gain_m):
                if self.loads[x] - move.card.load < self.loads[y] + move.card.load:
                    break
                self._shift(move)
                moves.append(move)
        return moves

    def _shift(self, move: _Move) -> None:
        self.loads[move.card.owner] -= move.card.load
        self.loads[move.to_rep] += move.card.load


def _why(move: _Move, reps: dict[int, User], loads: dict[int, float]) -> str:
    names = {"from": reps[move.card.owner].display_name or reps[move.card.owner].username,
             "to": reps[move.to_rep].display_name or reps[move.to_rep].username}
    if move.why == "closer":
        return _("Sits among %(to)s's customers: the nearest of them is %(gain).1f km closer than %(from)s's.") % {
            **names, "gain": move.gain_m / 1000}
    return _("%(from)s needs %(a).0f visits in the period, %(to)s %(b).0f; this card lies nearer %(to)s's customers.") % {
        **names, "a": loads[move.card.owner], "b": loads[move.to_rep]}


@transaction.atomic
def territory_suggest(*, actor: User, period_start: date, period_end: date,
                      reps: list[int] | None = None) -> list[TerritorySuggestion]:
    """Propose moves between the reps `actor` reviews; earlier proposals for the period are outdated."""
    if not scope.can_review_field_work(actor):
        raise Forbidden(_("Only managers, the director and admins review territories."))
    if period_end < period_start:
        raise ValidationError({"period_end": [_("The period ends before it starts.")]})
    rep_rows = {r.pk: r for r in reviewed_reps(user=actor, rep_ids=reps) if scope.manages_rep(actor, r)}
    TerritorySuggestion.objects.filter(
        status=SuggestionState.PROPOSED, period_start=period_start, period_end=period_end,
        from_rep_id__in=list(rep_rows),
    ).update(status=SuggestionState.OUTDATED)
    days = (period_end - period_start).days + 1
    loads: dict[int, float] = {rep: 0.0 for rep in rep_rows}
    live = Customer.objects.visible_to(actor).filter(owner_id__in=list(rep_rows), archived_at__isnull=True)
    for owner, tier, every in live.exclude(status=CustomerStatus.LOST).values_list("owner_id", "tier", "visit_frequency_days"):
        loads[owner] += days / visit_every_days(_Cadence(tier, every))
    cards = [
        _Card(pk, owner, float(lat), float(lng), days / visit_every_days(_Cadence(tier, every)))
        for pk, owner, lat, lng, tier, every in territory_cards(user=actor, rep_ids=list(rep_rows))
        .values_list("id", "owner_id", "lat", "lng", "tier", "visit_frequency_days").order_by("id")
    ]
    centres = _centres(cards, list(rep_rows))
    if len(centres) < 2:
        return []
    before = dict(loads)
    moves = _Territories(cards, centres, {rep: loads[rep] for rep in centres}).candidates()
    moves.sort(key=lambda m: -m.gain_m)
    now = timezone.now()
    rows = [
        TerritorySuggestion(
            customer_id=m.card.id, from_rep_id=m.card.owner, to_rep_id=m.to_rep, period_start=period_start,
            period_end=period_end, why=_why(m, rep_rows, before)[:300], travel_change_s=-_detour_seconds(m.gain_m),
            created_at=now,
        )
        for m in moves[:MAX_SUGGESTIONS]
    ]
    return TerritorySuggestion.objects.bulk_create(rows)


@dataclass
class _Cadence:
    tier: str
    visit_frequency_days: int | None


def _centres(cards: list[_Card], rep_ids: list[int]) -> dict[int, tuple[float, float]]:
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for card in cards:
        points[card.owner].append((card.lat, card.lng))
    centres = {rep: median_point(pts) for rep, pts in points.items()}
    for profile in FieldProfile.objects.filter(user_id__in=[r for r in rep_ids if r not in centres]):
        if profile.has_base:
            centres[profile.user_id] = (float(profile.base_lat), float(profile.base_lng))
    return centres


def _locked(actor: User, suggestion_id: int) -> TerritorySuggestion:
    current = (
        TerritorySuggestion.objects.visible_to(actor).select_for_update(of=("self",))
        .select_related("customer", "from_rep__org_unit", "to_rep__org_unit").filter(pk=suggestion_id).first()
    )
    if current is None:
        raise NotFound
    if not scope.can_review_field_work(actor) or not scope.manages_rep(actor, current.from_rep):
        raise Forbidden(_("Only the rep's manager, the director and admins decide territory suggestions."))
    if current.status != SuggestionState.PROPOSED:
        raise VersionConflict(current)
    return current


def _decide(actor: User, current: TerritorySuggestion, status: str, request: HttpRequest | None,
            **detail: Any) -> TerritorySuggestion:
    current.status, current.decided_by, current.decided_at = status, actor, timezone.now()
    current.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action=AuditAction.REASSIGN, obj=current.customer, request=request, detail={
        "suggestion": current.pk, "decision": status, "from_rep": current.from_rep_id,
        "to_rep": current.to_rep_id, **detail,
    })
    return current


@transaction.atomic
def territory_suggestion_accept(*, actor: User, suggestion_id: int,
                                request: HttpRequest | None = None) -> TerritorySuggestion:
    """Give the card to the suggested rep (through the card service, so history and audit follow) and
    cancel the old rep's planned visits to it from today on. A card that has moved to someone else
    since makes the suggestion outdated instead (the returned status says which)."""
    current = _locked(actor, suggestion_id)
    to_rep, customer = current.to_rep, current.customer
    if not scope.manages_rep(actor, to_rep) or not to_rep.is_active:
        raise Forbidden(_("%(rep)s is not in your team; ask their manager.") % {"rep": to_rep})
    if not scope.can_edit(actor, customer):
        raise Forbidden(_("You may not edit this card."))
    if customer.owner_id != current.from_rep_id:
        # The card moved since: the suggestion is outdated (kept, not raised, so it is saved); callers
        # answer it as a conflict.
        current.status = SuggestionState.OUTDATED
        current.save(update_fields=["status"])
        return current
    data: dict[str, Any] = {"owner": to_rep.pk}
    if to_rep.org_unit_id and to_rep.org_unit_id != customer.org_unit_id:
        data["org_unit"] = to_rep.org_unit_id
    customer_update(actor=actor, customer_id=customer.pk, data=data, version=customer.version, request=request)
    cancelled = list(
        Visit.objects.filter(customer=customer, rep_id=current.from_rep_id, status=VisitStatus.PLANNED,
                             planned_on__gte=timezone.localdate()).values_list("pk", flat=True)
    )
    if cancelled:
        Visit.objects.filter(pk__in=cancelled).update(
            status=VisitStatus.CANCELLED, updated_at=timezone.now(), version=F("version") + 1
        )
    current.customer.refresh_from_db()
    return _decide(actor, current, SuggestionState.ACCEPTED, request, cancelled_visits=cancelled)


@transaction.atomic
def territory_suggestion_reject(*, actor: User, suggestion_id: int,
                                request: HttpRequest | None = None) -> TerritorySuggestion:
    """Close the suggestion; the card stays where it is."""
    return _decide(actor, _locked(actor, suggestion_id), SuggestionState.REJECTED, request)
