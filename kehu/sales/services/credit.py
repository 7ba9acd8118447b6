"""Credit control writes: the check that puts an order on hold, the decisions on holds, the policy table.

The check runs inside `order_confirm` with the customer's row locked; nothing else confirms an
order except a hold's approval here, which books it through the same `order_book`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import Customer
from kehu.sales.models import (
    CreditHold,
    CreditPolicy,
    HoldStatus,
    LifecycleRule,
    Order,
    OrderStatus,
)
from kehu.sales.selectors.credit import credit_assess

MAX_RAISE = Decimal("999999999999.99")


def credit_check(*, actor: User, order: Order, customer: Customer) -> CreditHold | None:
    """Run the check for `order` (not yet booked) with `customer` locked by the caller. On a hold,
    write the pending CreditHold and its audit row and return it; else return None."""
    assessment = credit_assess(customer, order_total=order.total)
    if not assessment.is_held:
        return None
    hold = CreditHold.objects.create(
        order=order, customer=customer, exposure=assessment.exposure, credit_limit=assessment.credit_limit,
        overdue_days=assessment.overdue_days, reasons=assessment.reasons, requested_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.CREDIT_HOLD, obj=hold, detail={
        "order": order.number, "customer": customer.pk, "exposure": str(assessment.exposure),
        "limit": str(assessment.credit_limit), "overdue_days": assessment.overdue_days,
        "reasons": [r["code"] for r in assessment.reasons],
    })
    return hold


def _locked_pending(actor: User, hold: CreditHold) -> tuple[CreditHold, Order]:
    """The hold and its order, locked in the order every order write uses (the customer, the order,
    then the hold) so a decision, a cancellation and a payment queue up instead of deadlocking."""
    seen = CreditHold.objects.visible_to(actor).filter(pk=hold.pk).select_related("order").first()
    if seen is None:
        raise NotFound
    from kehu.sales.services.orders import customer_then_order_locked  # orders imports this module

    order = customer_then_order_locked(seen.order)
    current = CreditHold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
    current.customer = order.customer
    if not may_decide_hold(actor, current):
        raise Forbidden(not_yours_message(actor, current))
    if current.status != HoldStatus.PENDING:
        raise ValidationError({"status": [_("This hold was already decided (%(status)s).") % {
            "status": current.get_status_display()}]})
    current.order = order
    return current, order


def may_decide_hold(user: Any, hold: CreditHold) -> bool:
    """`scope.can_decide_credit`, and four eyes: whoever asked for the confirmation does not decide it."""
    return scope.can_decide_credit(user, hold.customer) and hold.requested_by_id != getattr(user, "pk", None)


def not_yours_message(user: Any, hold: CreditHold) -> str:
    if hold.requested_by_id is not None and hold.requested_by_id == getattr(user, "pk", None):
        return _("You confirmed this order yourself; someone else decides its credit hold.")
    return _("You may not decide credit holds for this customer.")


def _clean_reason(reason: Any) -> str:
    text = "" if reason is None else str(reason).strip()
    if not text:
        raise ValidationError({"reason": [_("Give the reason for the decision; it is kept with the order.")]})
    if len(text) > 300:
        raise ValidationError({"reason": [_("At most %(n)s characters.") % {"n": 300}]})
    if "\x00" in text:
        raise ValidationError({"reason": [_("Text cannot contain NUL (\\x00) characters.")]})
    return text


def _clean_raise(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (ArithmeticError, ValueError, TypeError):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount > MAX_RAISE or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"one_off_raise": [_("Enter an amount in yuan above zero, with at most 2 decimal places.")]})
    return amount.quantize(Decimal("0.01"))


def _decide(hold: CreditHold, actor: User, status: str, reason: str, one_off_raise: Decimal | None = None) -> None:
    hold.status = status
    hold.decided_by = actor
    hold.decided_at = timezone.now()
    hold.decision_reason = reason
    hold.one_off_raise = one_off_raise
    hold.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "one_off_raise"])
    audit_record(actor=actor, action=AuditAction.CREDIT_DECISION, obj=hold, detail={
        "order": hold.order.number, "customer": hold.customer_id, "decision": status, "reason": reason,
        "one_off_raise": str(one_off_raise) if one_off_raise is not None else None,
        "exposure": str(hold.exposure), "limit": str(hold.credit_limit),
    })


@transaction.atomic
def hold_approve(*, actor: User, hold: CreditHold, reason: str, one_off_raise: Decimal | None = None) -> CreditHold:
    """Approve a held order: it is booked now. Without a raise the approver overrides the check; with
    `one_off_raise` the approver grants that much above the limit for this order only, and the
    exposure at approval time must fit in limit + raise (else the needed raise is named)."""
    current, order = _locked_pending(actor, hold)
    errors: dict[str, list[str]] = {}
    for clean, value in ((_clean_reason, reason), (_clean_raise, one_off_raise)):
        try:
            clean(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    reason, amount = _clean_reason(reason), _clean_raise(one_off_raise)
    customer = order.customer
    if order.status != OrderStatus.HELD:  # only reachable through data repair; never book twice
        raise ValidationError({"status": [_("Order %(number)s is no longer on hold.") % {"number": order.number}]})
    if amount is not None:
        assessment = credit_assess(customer, order_total=order.total)
        needed = assessment.exposure - assessment.credit_limit
        if needed > amount:
            raise ValidationError({"one_off_raise": [
                _("The exposure is now %(exposure)s against a limit of %(limit)s: a raise of at least %(needed)s is needed.")
                % {"exposure": assessment.exposure, "limit": assessment.credit_limit, "needed": needed}
            ]})
    _decide(current, actor, HoldStatus.APPROVED, reason, amount)
    from kehu.sales.services.orders import order_book  # orders imports this module

    order_book(actor=actor, order=order, reason=f"credit hold approved: {reason}"[:100])
    current.order = order
    return current


@transaction.atomic
def hold_reject(*, actor: User, hold: CreditHold, reason: str) -> CreditHold:
    """Reject a held order: it goes back to draft, for the rep to change, cancel or confirm again later."""
    current, order = _locked_pending(actor, hold)
    reason = _clean_reason(reason)
    _decide(current, actor, HoldStatus.REJECTED, reason)
    if order.status == OrderStatus.HELD:
        order.status = OrderStatus.DRAFT
        order.version += 1
        order.updated_at = timezone.now()
        order._history_user = actor  # type: ignore[attr-defined]
        order._change_reason = f"credit hold rejected: {reason}"[:100]  # type: ignore[attr-defined]
        order.save()
        audit_record(actor=actor, action=AuditAction.STATUS_CHANGE, obj=order, detail={
            "customer": order.customer_id, "from": OrderStatus.HELD, "to": OrderStatus.DRAFT, "hold": current.pk,
        })
    current.order = order
    return current


# --- settings -----------------------------------------------------------------------------------


def _check_policy_admin(actor: User) -> None:
    if not scope.can_manage_credit_policy(actor):
        raise Forbidden(_("Only an administrator can change the credit policy."))


@transaction.atomic
def credit_policy_update(
    *, actor: User, policy: CreditPolicy, default_limit: Any = None, max_overdue_days: Any = None
) -> CreditPolicy:
    """Set a rating's default limit and/or its overdue tolerance (company settings: admins)."""
    _check_policy_admin(actor)
    current = CreditPolicy.objects.select_for_update().get(pk=policy.pk)
    errors: dict[str, list[str]] = {}
    before = {"default_limit": str(current.default_limit), "max_overdue_days": current.max_overdue_days}
    if default_limit not in (None, ""):
        try:
            limit = default_limit if isinstance(default_limit, Decimal) else Decimal(str(default_limit).strip())
        except (ArithmeticError, ValueError, TypeError):
            limit = Decimal("NaN")
        if not limit.is_finite() or limit < 0 or limit > MAX_RAISE or limit != limit.quantize(Decimal("0.01")):
            errors["default_limit"] = [_("Enter an amount in yuan, zero or more, with at most 2 decimal places.")]
        else:
            current.default_limit = limit.quantize(Decimal("0.01"))
    if max_overdue_days not in (None, ""):
        days = _whole_number(max_overdue_days, 0, 3650)
        if days is None:
            errors["max_overdue_days"] = [_("Enter a whole number of days from 0 to 3650.")]
        else:
            current.max_overdue_days = days
    if errors:
        raise ValidationError(errors)
    after = {"default_limit": str(current.default_limit), "max_overdue_days": current.max_overdue_days}
    if after != before:
        current.updated_at = timezone.now()
        current.save()
        audit_record(actor=actor, action=AuditAction.SETTINGS, obj=current, detail={
            "credit_policy": current.rating, "before": before, "after": after,
        })
    return current


@transaction.atomic
def lifecycle_rule_update(*, actor: User, rule: LifecycleRule, dormant_after_days: Any) -> LifecycleRule:
    """Set how many days without a booked order turn an active customer of the rule's tier dormant."""
    _check_policy_admin(actor)
    current = LifecycleRule.objects.select_for_update().get(pk=rule.pk)
    days = _whole_number(dormant_after_days, 1, 3650)
    if days is None:
        raise ValidationError({"dormant_after_days": [_("Enter a whole number of days from 1 to 3650.")]})
    if days != current.dormant_after_days:
        before = current.dormant_after_days
        current.dormant_after_days = days
        current.save()
        audit_record(actor=actor, action=AuditAction.SETTINGS, obj=current, detail={
            "lifecycle_rule": current.tier, "before": before, "after": days,
        })
    return current


def _whole_number(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@transaction.atomic
def credit_settings_update(
    *, actor: User, policies: dict[int, tuple[Any, Any]], rules: dict[int, Any]
) -> None:
    """The settings page in one go: {policy id: (default limit, max overdue days)} and {rule id: days}.
    All or nothing; errors are keyed `limit_<id>`, `overdue_<id>`, `dormant_<id>`."""
    _check_policy_admin(actor)
    errors: dict[str, list[str]] = {}
    found = CreditPolicy.objects.in_bulk(list(policies))
    for pk, (limit, days) in policies.items():
        if pk not in found:
            errors[f"limit_{pk}"] = [_("No such credit policy.")]
            continue
        try:
            credit_policy_update(actor=actor, policy=found[pk], default_limit=limit, max_overdue_days=days)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"{'limit' if name == 'default_limit' else 'overdue'}_{pk}"] = messages
    found_rules = LifecycleRule.objects.in_bulk(list(rules))
    for pk, days in rules.items():
        if pk not in found_rules:
            errors[f"dormant_{pk}"] = [_("No such lifecycle rule.")]
            continue
        try:
            lifecycle_rule_update(actor=actor, rule=found_rules[pk], dormant_after_days=days)
        except ValidationError as exc:
            errors[f"dormant_{pk}"] = exc.message_dict["dormant_after_days"]
    if errors:
        raise ValidationError(errors)
