"""Credit review: suggestions to raise the limit of customers who pay on time and buy steadily, and
to lower it for late payers, with the evidence; a person accepts (the card's limit changes through
the card service, with history and audit) or dismisses each one.

`credit_review_run(today=…)` reads the whole company at once — four grouped queries over orders,
allocations, payments and the monthly summaries, plus one over the cards — never one query per
customer. All windows end before `today`:

- settled orders: booked orders fully paid (open amount 0) whose last allocation's payment is
  dated in the last `WINDOW_DAYS` days; "on time" means that payment is dated on or before the due
  date (the order date when there is none). Days to pay = settlement − order date; days late =
  settlement − due date when positive, else 0 (averaged over all settled orders).
- months with orders: of the `STEADY_MONTHS` full calendar months before this one, how many have
  at least one booked order (`CustomerMonth.orders > 0`).
- exposure at a month end: what the customer owed that evening — the open amount of booked orders
  placed by then plus what payments dated after it have since settled of them. Taken at the ends
  of the last 12 full months; "near the limit" means at least `NEAR_LIMIT_SHARE` of the limit.
- overdue now: open booked orders whose due date is before `today`; the days count from the oldest.
- the limit is the effective one: the card's own when above zero, else its rating's policy default.

Rules (the first that fires wins; customers with an effective limit of 0 are not reviewed):

1. `overdue_beyond_policy` (LOWER): something is overdue longer than the rating's policy
   `max_overdue_days` → `LOWER_OVERDUE_FACTOR` × limit.
2. `late_payer` (LOWER): at least `MIN_SETTLED_TO_LOWER` settled orders and the average days late
   exceed `LATE_AVERAGE_DAYS` → `LOWER_LATE_FACTOR` × limit.
3. `pays_on_time_and_buys_steadily` (RAISE): at least `MIN_SETTLED_TO_RAISE` settled orders, an
   on-time share ≥ `ON_TIME_SHARE`, average days to pay ≤ the payment terms, orders in at least
   `STEADY_MIN_MONTHS` of the last `STEADY_MONTHS` months, exposure near the limit at ≥
   `NEAR_LIMIT_MONTHS` month ends, and nothing overdue more than `RAISE_GRACE_DAYS` days →
   the larger of `RAISE_FACTOR` × limit and `PEAK_HEADROOM` × peak exposure, at most
   `MAX_RAISE_FACTOR` × limit.

Proposed limits are rounded (down when lowering, up when raising) to 1,000 yuan, or to 100 yuan
below 10,000, and never reach 0 (a card limit of 0 would mean "the rating's default").
Each customer has at most one OPEN suggestion (a database constraint): a re-run updates it, and
deletes open suggestions whose customer no longer qualifies. A customer whose suggestion was
accepted or dismissed in the last `COOLDOWN_DAYS` days is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer
from kehu.customers.services.cards import customer_update
from kehu.sales.models import (
    BOOKED,
    UNRATED,
    Allocation,
    CreditPolicy,
    CreditSuggestion,
    CustomerMonth,
    Order,
    Payment,
    SuggestionStatus,
)

WINDOW_DAYS = 365
MIN_SETTLED_TO_RAISE = 6
MIN_SETTLED_TO_LOWER = 3
ON_TIME_SHARE = Decimal("0.90")
STEADY_MONTHS = 6
STEADY_MIN_MONTHS = 5
EXPOSURE_MONTHS = 12
NEAR_LIMIT_SHARE = Decimal("0.80")
NEAR_LIMIT_MONTHS = 3
RAISE_GRACE_DAYS = 7
RAISE_FACTOR = Decimal("1.25")
PEAK_HEADROOM = Decimal("1.10")
MAX_RAISE_FACTOR = Decimal("2")
LATE_AVERAGE_DAYS = Decimal("15")
LOWER_LATE_FACTOR = Decimal("0.75")
LOWER_OVERDUE_FACTOR = Decimal("0.50")
COOLDOWN_DAYS = 90
FALLBACK_MAX_OVERDUE_DAYS = 30  # as the credit check, when no policy row applies


class Rule:
    OVERDUE = "overdue_beyond_policy"
    LATE = "late_payer"
    STEADY = "pays_on_time_and_buys_steadily"


LOWER_RULES = (Rule.OVERDUE, Rule.LATE)
CENT = Decimal("0.01")
NONE_OWED = Decimal("0.00")
MAX_LIMIT = Decimal("999999999999.99")


def _month_shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _days(later: str, earlier: str) -> str:
    """SQL for the whole days between two date expressions, on SQLite and PostgreSQL alike."""
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _dec(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- the four reads ------------------------------------------------------------------------------


def _settled(since: date, today: date) -> dict[int, tuple[int, int, int, int]]:
    """customer → (settled orders, paid on time, Σ days to pay, Σ days late)."""
    booked = ", ".join(["%s"] * len(BOOKED))
    sql = f"""
        SELECT s.customer_id, COUNT(*),
               SUM(CASE WHEN s.settled_on <= s.due THEN 1 ELSE 0 END),
               SUM({_days("s.settled_on", "s.order_date")}),
               SUM(CASE WHEN s.settled_on > s.due THEN {_days("s.settled_on", "s.due")} ELSE 0 END)
        FROM (
            SELECT o.customer_id AS customer_id, o.order_date AS order_date,
                   COALESCE(o.due_date, o.order_date) AS due, MAX(p.date) AS settled_on
            FROM {_table(Order)} o
            JOIN {_table(Allocation)} a ON a.order_id = o.id
            JOIN {_table(Payment)} p ON p.id = a.payment_id
            WHERE o.status IN ({booked}) AND o.open_amount = 0 AND o.total > 0
            GROUP BY o.id, o.customer_id, o.order_date, o.due_date
        ) s
        WHERE s.settled_on >= %s AND s.settled_on < %s
        GROUP BY s.customer_id
    """
    rows = _rows(sql, [*BOOKED, since, today])
    return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in rows}


def _open_now(today: date) -> dict[int, tuple[Decimal, Decimal, date | None]]:
    """customer → (open receivables, overdue part, oldest overdue due date)."""
    booked = ", ".join(["%s"] * len(BOOKED))
    sql = f"""
        SELECT customer_id, SUM(open_amount),
               SUM(CASE WHEN due_date < %s THEN open_amount ELSE 0 END),
               MIN(CASE WHEN due_date < %s THEN due_date END)
        FROM {_table(Order)}
        WHERE status IN ({booked}) AND open_amount > 0
        GROUP BY customer_id
    """
    rows = _rows(sql, [today, today, *BOOKED])
    return {r[0]: (_dec(r[1]), _dec(r[2]), _day(r[3]) if r[3] else None) for r in rows}


def _months(first: date, steady_from: date, this_month: date) -> dict[int, tuple[int, Decimal]]:
    """customer → (months with orders since `steady_from`, sales since `first`), full months only."""
    sql = f"""
        SELECT customer_id,
               SUM(CASE WHEN month >= %s AND orders > 0 THEN 1 ELSE 0 END),
               SUM(sales)
        FROM {_table(CustomerMonth)}
        WHERE month >= %s AND month < %s
        GROUP BY customer_id
    """
    rows = _rows(sql, [steady_from, first, this_month])
    return {r[0]: (int(r[1] or 0), _dec(r[2])) for r in rows}


def _exposures(month_ends: list[date]) -> dict[int, list[Decimal]]:
    """customer → exposure at each of `month_ends` (only the non-zero ones are listed)."""
    booked = ", ".join(["%s"] * len(BOOKED))
    days = " UNION ALL ".join(["SELECT %s AS day"] * len(month_ends))
    sql = f"""
        SELECT x.customer_id, x.day, SUM(x.amount)
        FROM (
            SELECT o.customer_id AS customer_id, d.day AS day, o.open_amount AS amount
            FROM {_table(Order)} o JOIN ({days}) d ON o.order_date <= d.day
            WHERE o.status IN ({booked}) AND o.open_amount > 0
            UNION ALL
            SELECT o.customer_id, d.day, a.amount
            FROM {_table(Allocation)} a
            JOIN {_table(Payment)} p ON p.id = a.payment_id
            JOIN {_table(Order)} o ON o.id = a.order_id
            JOIN ({days}) d ON o.order_date <= d.day AND p.date > d.day
            WHERE o.status IN ({booked}) AND p.date > %s
        ) x
        GROUP BY x.customer_id, x.day
    """
    params = [*month_ends, *BOOKED, *month_ends, *BOOKED, min(month_ends)]
    out: dict[int, list[Decimal]] = defaultdict(list)
    for customer_id, _day_end, amount in _rows(sql, params):
        out[customer_id].append(_dec(amount))
    return out


@dataclass(frozen=True)
class Card:
    credit_limit: Decimal
    limit_source: str
    terms: int
    max_overdue_days: int


def _cards(ids: set[int]) -> dict[int, Card]:
    """The effective limit, terms and policy of the cards in daily work among `ids` (two queries)."""
    policies = {p.rating: p for p in CreditPolicy.objects.all()}
    unrated = policies.get(UNRATED)
    out = {}
    rows = Customer.objects.filter(pk__in=ids, archived_at__isnull=True).values_list(
        "pk", "credit_limit", "credit_rating", "payment_terms_days"
    )
    for pk, own, rating, terms in rows.iterator(chunk_size=5000):
        policy = policies.get(rating or UNRATED) or unrated
        default = policy.default_limit if policy else Decimal(0)
        days = policy.max_overdue_days if policy else FALLBACK_MAX_OVERDUE_DAYS
        source = "card" if own > 0 else (policy.rating if policy else UNRATED)
        out[pk] = Card(own if own > 0 else default, source, terms, days)
    return out


# --- the rules -----------------------------------------------------------------------------------


def _round_limit(value: Decimal, up: bool) -> Decimal:
    step = Decimal(100) if value < 10_000 else Decimal(1000)
    rounded = (value / step).quantize(Decimal(1), rounding=ROUND_CEILING if up else ROUND_FLOOR) * step
    return max(rounded, Decimal(100)).quantize(CENT)


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")) if whole else Decimal(0)


def _average(total: int, count: int) -> Decimal:
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1")) if count else Decimal(0)


def suggestion_for(
    card: Card, settled: tuple[int, int, int, int], open_now: tuple[Decimal, Decimal, date | None],
    months: tuple[int, Decimal], exposures: list[Decimal], today: date,
) -> dict[str, Any] | None:
    """The evidence (with the proposed limit and the rule) for one customer, or None."""
    limit = card.credit_limit
    if limit <= 0:
        return None
    count, on_time, days_to_pay, days_late = settled
    open_amount, overdue_amount, oldest_due = open_now
    overdue_days = (today - oldest_due).days if oldest_due else 0
    months_with_orders, sales = months
    peak = max([*exposures, open_amount])
    near = sum(1 for e in exposures if e >= limit * NEAR_LIMIT_SHARE)
    share, avg_pay, avg_late = _share(on_time, count), _average(days_to_pay, count), _average(days_late, count)
    rule, proposed = None, limit
    if overdue_days > card.max_overdue_days:
        rule, proposed = Rule.OVERDUE, _round_limit(limit * LOWER_OVERDUE_FACTOR, up=False)
    elif count >= MIN_SETTLED_TO_LOWER and avg_late > LATE_AVERAGE_DAYS:
        rule, proposed = Rule.LATE, _round_limit(limit * LOWER_LATE_FACTOR, up=False)
    elif (
        count >= MIN_SETTLED_TO_RAISE and share >= ON_TIME_SHARE and avg_pay <= card.terms
        and months_with_orders >= STEADY_MIN_MONTHS and near >= NEAR_LIMIT_MONTHS
        and overdue_days <= RAISE_GRACE_DAYS
    ):
        wanted = min(max(limit * RAISE_FACTOR, peak * PEAK_HEADROOM), limit * MAX_RAISE_FACTOR)
        rule, proposed = Rule.STEADY, _round_limit(wanted, up=True)
    if rule is None or proposed == limit or (rule in LOWER_RULES) != (proposed < limit):
        return None
    return {
        "rule": rule,
        "kind": "lower" if rule in LOWER_RULES else "raise",
        "window_from": str(today - timedelta(days=WINDOW_DAYS)),
        "window_to": str(today - timedelta(days=1)),
        "settled_orders": count,
        "on_time_orders": on_time,
        "on_time_share": str(share),
        "average_days_to_pay": str(avg_pay),
        "average_days_late": str(avg_late),
        "payment_terms_days": card.terms,
        "months_with_orders": months_with_orders,
        "months_considered": STEADY_MONTHS,
        "sales_12_months": str(sales),
        "peak_exposure": str(peak),
        "months_near_limit": near,
        "exposure_now": str(open_amount),
        "overdue_now": str(overdue_amount),
        "overdue_days": overdue_days,
        "max_overdue_days": card.max_overdue_days,
        "current_limit": str(limit),
        "limit_source": card.limit_source,
        "proposed_limit": str(proposed),
    }


# --- the run -------------------------------------------------------------------------------------


@transaction.atomic
def credit_review_run(*, today: date | None = None) -> int:
    """Refresh the open suggestions for every customer with enough history; the number now open."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    month_ends = [_month_shift(this_month, -n) - timedelta(days=1) for n in range(EXPOSURE_MONTHS)]
    settled = _settled(today - timedelta(days=WINDOW_DAYS), today)
    open_now = _open_now(today)
    months = _months(_month_shift(this_month, -12), _month_shift(this_month, -STEADY_MONTHS), this_month)
    exposures = _exposures(month_ends)
    cooling = set(
        CreditSuggestion.objects.filter(
            decided_at__gte=timezone.now() - timedelta(days=COOLDOWN_DAYS)
        ).exclude(status=SuggestionStatus.OPEN).values_list("customer_id", flat=True)
    )
    cards = _cards((set(settled) | set(open_now) | set(months)) - cooling)
    wanted = {}
    for pk, card in cards.items():
        evidence = suggestion_for(
            card, settled.get(pk, (0, 0, 0, 0)), open_now.get(pk, (NONE_OWED, NONE_OWED, None)),
            months.get(pk, (0, NONE_OWED)), exposures.get(pk, []), today,
        )
        if evidence is not None:
            wanted[pk] = evidence
    return _suggestions_write(wanted)


def _suggestions_write(wanted: dict[int, dict[str, Any]]) -> int:
    open_rows = CreditSuggestion.objects.select_for_update().filter(status=SuggestionStatus.OPEN)
    existing = {s.customer_id: s for s in open_rows}
    stale = [s.pk for pk, s in existing.items() if pk not in wanted]
    CreditSuggestion.objects.filter(pk__in=stale).delete()
    changed, new = [], []
    now = timezone.now()
    for pk, evidence in wanted.items():
        row = existing.get(pk) or CreditSuggestion(customer_id=pk, created_at=now)
        row.current_limit = Decimal(evidence["current_limit"])
        row.suggested_limit = Decimal(evidence["proposed_limit"])
        row.evidence = evidence
        (changed if row.pk else new).append(row)
    CreditSuggestion.objects.bulk_update(changed, ["current_limit", "suggested_limit", "evidence"], batch_size=1000)
    CreditSuggestion.objects.bulk_create(new, batch_size=1000)
    return len(wanted)


# --- decisions -----------------------------------------------------------------------------------


def _locked(actor: User, suggestion: CreditSuggestion) -> CreditSuggestion:
    """The suggestion, re-read under a lock from what `actor` may see; open, and theirs to decide."""
    current = (
        CreditSuggestion.objects.visible_to(actor).select_for_update(of=("self",))
        .select_related("customer").filter(pk=suggestion.pk).first()
    )
    if current is None:
        raise NotFound
    if not scope.can_decide_credit(actor, current.customer):
        raise Forbidden(_("You may not decide credit limits for this customer."))
    if current.status != SuggestionStatus.OPEN:
        raise VersionConflict(current)
    return current


def _clean_limit(value: Any, default: Decimal) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    message = _("Enter an amount above zero, in yuan with at most two decimal places.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"limit": [message]}) from None
    if not number.is_finite() or number <= 0 or number > MAX_LIMIT or number != number.quantize(CENT):
        raise ValidationError({"limit": [message]})
    return number.quantize(CENT)


def _decide(actor: User, current: CreditSuggestion, status: str, detail: dict[str, Any],
            request: HttpRequest | None) -> CreditSuggestion:
    current.status = status
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "decided_by", "decided_at", "evidence"])
    audit_record(actor=actor, action=AuditAction.CREDIT_DECISION, obj=current, request=request, detail={
        "customer": current.customer_id, "decision": status, "current_limit": str(current.current_limit),
        "suggested_limit": str(current.suggested_limit), "rule": current.evidence.get("rule", ""), **detail,
    })
    return current


@transaction.atomic
def credit_suggestion_accept(
    *, actor: User, suggestion: CreditSuggestion, limit: Any = None, request: HttpRequest | None = None
) -> CreditSuggestion:
    """Set the card's credit limit to `limit` (default: the suggested one) and close the suggestion."""
    current = _locked(actor, suggestion)
    new_limit = _clean_limit(limit, current.suggested_limit)
    customer = current.customer
    customer_update(
        actor=actor, customer_id=customer.pk, data={"credit_limit": new_limit}, version=customer.version,
        request=request,
    )
    current.evidence = {**current.evidence, "accepted_limit": str(new_limit)}
    return _decide(actor, current, SuggestionStatus.ACCEPTED, {"accepted_limit": str(new_limit)}, request)


@transaction.atomic
def credit_suggestion_dismiss(
    *, actor: User, suggestion: CreditSuggestion, request: HttpRequest | None = None
) -> CreditSuggestion:
    """Close the suggestion without changing the card."""
    return _decide(actor, _locked(actor, suggestion), SuggestionStatus.DISMISSED, {}, request)
