"""The customer lifecycle moved by behaviour: orders make a card active, a long silence makes it dormant.

`customer_order_booked` runs inside every booking; `lifecycle_run` is the daily set-based pass
(a django-tasks task wraps it, see kehu/sales/tasks.py). Every status change is written to the
card's history with a change reason and to the audit log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.customers.models import Customer, CustomerStatus
from kehu.sales.models import BOOKED, LifecycleRule, Order

# Statuses a booked order turns into ACTIVE. LOST is a person's judgement (closed, gone to a
# competitor) and stays until a person changes it.
ACTIVATED_BY_ORDER = (CustomerStatus.POTENTIAL, CustomerStatus.PROSPECT, CustomerStatus.DORMANT)
BATCH = 500


def reason_first_order(number: str) -> str:
    # Stored in the history record as is (history is not translated), like the merge reasons.
    return f"active: booked order {number}"


def reason_dormant(days: int) -> str:
    return f"dormant: no booked order for {days} days"


REASON_ACTIVE_DAILY = "active: has booked orders (daily lifecycle run)"


def _ordered_at(order: Order) -> datetime:
    """When the customer last ordered, as a time: now for today's orders, midnight of a past order date."""
    if order.order_date >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(order.order_date, time.min))


def customer_order_booked(*, actor: User, customer: Customer, order: Order) -> None:
    """Keep `last_ordered_at` and the status true after `order` was booked (customer row locked by the caller)."""
    ordered_at = _ordered_at(order)
    newer = customer.last_ordered_at is None or ordered_at > customer.last_ordered_at
    if customer.status not in ACTIVATED_BY_ORDER:
        if newer:  # a fact, not an edit: no history row, no version bump
            Customer.objects.filter(pk=customer.pk).update(last_ordered_at=ordered_at)
            customer.last_ordered_at = ordered_at
        return
    before = customer.status
    customer.status = CustomerStatus.ACTIVE
    if newer:
        customer.last_ordered_at = ordered_at
    customer.version += 1
    customer.updated_at = timezone.now()
    customer._history_user = actor  # type: ignore[attr-defined]
    customer._change_reason = reason_first_order(order.number)  # type: ignore[attr-defined]
    customer.save(update_fields=["status", "last_ordered_at", "version", "updated_at"])
    audit_record(actor=actor, action=AuditAction.STATUS_CHANGE, obj=customer, detail={
        "from": before, "to": CustomerStatus.ACTIVE, "order": order.number,
    })


def _move(cards: QuerySet[Customer], status: str, reason: str) -> int:
    """Set `status` on every card of `cards`, in batches of ids: the batch is re-read through the filter
    (a card that changed meanwhile is skipped), updated in one statement, and gets one history row
    with `reason` per card. Memory holds ids, never a whole tier of cards."""
    ids = list(cards.values_list("pk", flat=True))
    history = get_history_manager_for_model(Customer)
    moved = 0
    for start in range(0, len(ids), BATCH):
        batch = cards.filter(pk__in=ids[start:start + BATCH])
        now = timezone.now()
        changed = list(batch.values_list("pk", flat=True))
        moved += Customer.objects.filter(pk__in=changed).update(
            status=status, version=F("version") + 1, updated_at=now
        )
        history.bulk_history_create(
            list(Customer.objects.filter(pk__in=changed)), update=True, default_change_reason=reason,
        )
    return moved


@transaction.atomic
def lifecycle_run(*, today: date) -> dict[str, Any]:
    """Move active cards of each tier with no booked order for the tier's `dormant_after_days` to
    dormant (and potential/prospect cards whose booked orders are all older), and
    potential/prospect/dormant cards with a booked order in that window to active.
    Archived cards are left alone. Returns the counts per move and tier; writes one audit row."""
    booked = Order.objects.filter(customer=OuterRef("pk"), status__in=BOOKED)
    moved: dict[str, dict[str, int]] = {"dormant": {}, "active": {}}
    for rule in LifecycleRule.objects.order_by("tier"):
        cutoff = today - timedelta(days=rule.dormant_after_days)
        cards = Customer.objects.filter(tier=rule.tier, archived_at__isnull=True)
        recent = booked.filter(order_date__gt=cutoff)
        # Active cards, and potential/prospect cards that did buy but not within the window (imported
        # history), go dormant. The EXISTS reads the (customer, order_date) index, not last_ordered_at,
        # which a cancelled order leaves behind.
        bought = Q(status__in=(CustomerStatus.POTENTIAL, CustomerStatus.PROSPECT)) & Exists(booked)
        silent = cards.filter(Q(status=CustomerStatus.ACTIVE) | bought).exclude(Exists(recent))
        going = _move(silent, CustomerStatus.DORMANT, reason_dormant(rule.dormant_after_days))
        if going:
            moved["dormant"][rule.tier] = going
        waking = _move(
            cards.filter(status__in=ACTIVATED_BY_ORDER).filter(Exists(recent)), CustomerStatus.ACTIVE,
            REASON_ACTIVE_DAILY,
        )
        if waking:
            moved["active"][rule.tier] = waking
    summary = {
        "today": today.isoformat(),
        "dormant": sum(moved["dormant"].values()),
        "active": sum(moved["active"].values()),
        "by_tier": moved,
    }
    audit_record(actor=None, username="lifecycle", action=AuditAction.STATUS_CHANGE, detail={"lifecycle_run": summary})
    return summary
