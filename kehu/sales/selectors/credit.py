"""Reads for credit control: a customer's effective limit, exposure and overdue age; the hold queue.

The check at confirmation (`credit_assess`) is three indexed queries: the open booked orders of the
customer (the partial index `order_open_customer_idx`), its unallocated money, and its policy row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, IntegerField, Min, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.utils import timezone

from kehu.core.errors import NotFound
from kehu.customers.models import Customer
from kehu.sales.models import (
    UNRATED,
    ZERO,
    CreditHold,
    CreditPolicy,
    HoldStatus,
    LifecycleRule,
    Order,
    Payment,
    PaymentKind,
)

# Money that lowers what a customer owes before it is allocated (refunds are never allocated).
CREDITING_KINDS = (PaymentKind.PAYMENT, PaymentKind.CREDIT_NOTE)
# When the admin deleted a policy row and the unrated row too: nothing on credit, 30 days' grace.
FALLBACK_POLICY = CreditPolicy(rating=UNRATED, default_limit=ZERO, max_overdue_days=30)


class HoldReason:
    """Codes stored in `CreditHold.reasons` (with their params); the queue words them."""

    OVER_LIMIT = "over_limit"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class CreditAssessment:
    """What the credit check sees for one customer and one order about to be booked."""

    credit_limit: Decimal
    limit_source: str  # "card" (the card's own limit) or the policy's rating ("A" … "D", "-")
    open_orders: Decimal  # Σ open_amount of the customer's booked orders
    unallocated: Decimal  # Σ unallocated payments and credit notes
    order_total: Decimal
    overdue_days: int  # how late the oldest open booked order is (0: nothing overdue)
    max_overdue_days: int

    @property
    def outstanding(self) -> Decimal:
        """What the customer owes now, net of money not yet allocated (never below zero)."""
        return max(self.open_orders - self.unallocated, ZERO)

    @property
    def exposure(self) -> Decimal:
        return self.outstanding + self.order_total

    @property
    def is_over_limit(self) -> bool:
        return self.exposure > self.credit_limit

    @property
    def is_overdue(self) -> bool:
        return self.overdue_days > self.max_overdue_days

    @property
    def reasons(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if self.is_over_limit:
            found.append({"code": HoldReason.OVER_LIMIT, "params": {
                "exposure": str(self.exposure), "limit": str(self.credit_limit),
                "excess": str(self.exposure - self.credit_limit),
            }})
        if self.is_overdue:
            found.append({"code": HoldReason.OVERDUE, "params": {
                "days": self.overdue_days, "max_days": self.max_overdue_days,
            }})
        return found

    @property
    def is_held(self) -> bool:
        return self.is_over_limit or self.is_overdue


def credit_policy_for(customer: Customer) -> CreditPolicy:
    """The policy of the card's credit rating, else the unrated row (one query)."""
    rating = customer.credit_rating or UNRATED
    rows = {p.rating: p for p in CreditPolicy.objects.filter(rating__in={rating, UNRATED})}
    return rows.get(rating) or rows.get(UNRATED) or FALLBACK_POLICY


MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    """A summed amount as yuan with 2 places (SQLite returns sums of subqueries unquantised)."""
    return Decimal(value or 0).quantize(CENT)


def _scalar(rows: QuerySet[Any], aggregate: Any, output_field: Any = None) -> Subquery:
    """`aggregate` over `rows` as a scalar subquery (one value per outer customer). Money sums name
    their output field so SQLite hands back Decimals with 2 places, not long strings."""
    values = rows.order_by().values("customer_id").annotate(value=aggregate).values("value")[:1]
    return Subquery(values, output_field=output_field) if output_field is not None else Subquery(values)


def credit_assess(customer: Customer, *, order_total: Decimal = ZERO, today: date | None = None) -> CreditAssessment:
    """The credit check of `customer` for an order of `order_total` not yet booked. No access check:
    callers are services (which checked) and selectors that started from `visible_to`."""
    day = today or timezone.localdate()
    policy = credit_policy_for(customer)
    booked = _scalar(Order.objects.filter(customer_id=OuterRef("pk")).open(), Sum("open_amount"), MONEY)
    oldest = _scalar(Order.objects.filter(customer_id=OuterRef("pk")).open(), Min("due_date"))
    money = _scalar(
        Payment.objects.filter(customer_id=OuterRef("pk"), kind__in=CREDITING_KINDS, unallocated__gt=0),
        Sum("unallocated"),
        MONEY,
    )
    # One query, three index reads: the open booked orders (partial index), their oldest due date,
    # the unallocated money.
    row = Customer.objects.filter(pk=customer.pk).annotate(
        open_sum=booked, oldest_due=oldest, unallocated_sum=money
    ).values("open_sum", "oldest_due", "unallocated_sum").first() or {}
    oldest_due = row.get("oldest_due")
    own_limit = customer.credit_limit or ZERO
    return CreditAssessment(
        credit_limit=own_limit if own_limit > 0 else policy.default_limit,
        limit_source="card" if own_limit > 0 else policy.rating,
        open_orders=_cents(row.get("open_sum")),
        unallocated=_cents(row.get("unallocated_sum")),
        order_total=order_total,
        overdue_days=max((day - oldest_due).days, 0) if oldest_due else 0,
        max_overdue_days=policy.max_overdue_days,
    )


def hold_queue(*, user: Any, status: str | None = None) -> QuerySet[CreditHold]:
    """Holds the user may see; pending first (oldest waiting first), then decided (newest first)."""
    holds = CreditHold.objects.visible_to(user).select_related(
        "order", "customer", "requested_by", "decided_by", "order__rep"
    )
    if status:
        holds = holds.filter(status=status)
    pending_first = Case(When(status=HoldStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
    return holds.annotate(pending_first=pending_first).order_by(
        "pending_first", Case(When(status=HoldStatus.PENDING, then=F("created_at"))), "-created_at", "-id"
    )


def hold_get(*, user: Any, hold_id: Any) -> CreditHold:
    try:
        pk = int(hold_id)
    except (TypeError, ValueError):
        raise NotFound from None
    hold = (
        CreditHold.objects.visible_to(user)
        .select_related("order", "customer", "requested_by", "decided_by", "order__rep", "customer__owner")
        .filter(pk=pk)
        .first()
    )
    if hold is None:
        raise NotFound
    return hold


def holds_pending_count(*, user: Any) -> int:
    return CreditHold.objects.visible_to(user).pending().aggregate(n=Count("id"))["n"]


def credit_policies() -> list[CreditPolicy]:
    """The policy table (company settings: every signed-in user may read it)."""
    return list(CreditPolicy.objects.order_by("rating"))


def lifecycle_rules() -> list[LifecycleRule]:
    return list(LifecycleRule.objects.order_by("tier"))


def hold_reason_text(reason: Any) -> str:
    """A stored hold reason ({"code", "params"}) in the reader's language."""
    from django.utils.translation import gettext as _

    if not isinstance(reason, dict):
        return str(reason)
    params = reason.get("params") or {}
    try:
        if reason.get("code") == HoldReason.OVER_LIMIT:
            return _("Exposure %(exposure)s would exceed the credit limit %(limit)s by %(excess)s.") % params
        if reason.get("code") == HoldReason.OVERDUE:
            return _("An invoice is %(days)s days overdue (more than the %(max_days)s days allowed).") % params
    except (KeyError, TypeError, ValueError):
        pass
    return str(reason.get("code") or reason)
