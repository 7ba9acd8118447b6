"""Monthly sales plans (销售计划): drafting, the approval workflow, and drafting from last year's actuals.

A plan is edited only while it is a draft or returned. Submitted and approved plans are locked:
the owner pulls one back with `plan_reopen` (on the record, and it needs approval again), so a
submitted plan can never be changed silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, AuditEvent, OrgUnit, Role, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.models import Customer
from kehu.sales.models import PlanLine, PlanStatus, PlanSupport, Product, SalesMonth, SalesPlan, SupportKind

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
LARGEST = Decimal("999999999999")  # what a money/quantity column (14 digits) can hold, with room
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)
MAX_LINES = 500
MAX_SUPPORTS = 50
MAX_GROWTH = Decimal("10")  # +1000 %

LineInput = tuple[Any, Any, Any, Any]  # (product id, quantity, amount, schedule)
SupportInput = tuple[Any, Any, Any]  # (kind, description, cost)


def may_draft_plans(user: Any) -> bool:
    """Whether the plan pages for drafting (new plan, copy, import) are open to the user at all;
    each customer is still checked with `scope.can_edit_plan`."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in scope.SELL_ROLES)


def may_decide_plans(user: Any) -> bool:
    """Whether the approval queue is open to the user; each plan is still checked with `scope.can_approve_plan`."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.role in (Role.MANAGER, Role.DIRECTOR, Role.ADMIN))


def month_start(value: Any) -> date:
    """The first day of the month named by a date or 'YYYY-MM' / 'YYYY-MM-DD'; else a field error."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) not in (2, 3):
            raise ValueError
        return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1).replace(day=1)
    except ValueError:
        raise ValidationError({"month": [_("Enter a month as YYYY-MM.")]}) from None


def _number(value: Any, places: Decimal, key: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else Decimal(0)
    except (InvalidOperation, ValueError):
        errors[key] = [_("Enter a number.")]
        return Decimal(0)
    if not number.is_finite() or abs(number) > LARGEST:
        errors[key] = [_("Enter a number below one trillion.")]
        return Decimal(0)
    if number < 0:
        errors[key] = [_("Enter zero or more.")]
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _clean_lines(lines: list[LineInput]) -> list[PlanLine]:
    errors: dict[str, list[str]] = {}
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [_("A plan has at most %(n)d lines.") % {"n": MAX_LINES}]})
    ids: list[int | None] = []
    for product_id, *_rest in lines:
        try:
            ids.append(int(str(product_id)) if 0 < int(str(product_id)) < 2**63 else None)
        except (TypeError, ValueError):
            ids.append(None)
    sold = set(Product.objects.filter(pk__in=[i for i in ids if i], is_active=True).values_list("pk", flat=True))
    seen: set[int] = set()
    clean = []
    for i, ((_pid, qty, amount, schedule), product_id) in enumerate(zip(lines, ids, strict=True)):
        key = f"lines.{i}"
        if product_id not in sold:
            errors[f"{key}.product"] = [_("Choose a product from the catalogue (active products only).")]
        elif product_id in seen:
            errors[f"{key}.product"] = [_("This product is already on the plan; put it on one line.")]
        seen.add(product_id or 0)
        schedule = str(schedule or "").strip()
        if len(schedule) > 100:
            errors[f"{key}.schedule"] = [_("At most 100 characters.")]
        clean.append(PlanLine(
            product_id=product_id, quantity=_number(qty, MILLI, f"{key}.quantity", errors),
            amount=_number(amount, CENT, f"{key}.amount", errors), schedule=schedule,
        ))
    if errors:
        raise ValidationError(errors)
    return clean


def _clean_supports(supports: list[SupportInput]) -> list[PlanSupport]:
    errors: dict[str, list[str]] = {}
    if len(supports) > MAX_SUPPORTS:
        raise ValidationError({"supports": [_("A plan has at most %(n)d support items.") % {"n": MAX_SUPPORTS}]})
    clean = []
    for i, (kind, description, cost) in enumerate(supports):
        key = f"supports.{i}"
        if kind not in SupportKind.values:
            errors[f"{key}.kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(SupportKind.values)}]
        description = str(description or "").strip()
        if len(description) > 300:
            errors[f"{key}.description"] = [_("At most 300 characters.")]
        clean.append(PlanSupport(kind=kind, description=description, cost=_number(cost, CENT, f"{key}.cost", errors)))
    if errors:
        raise ValidationError(errors)
    return clean


def _clean_all(lines: list[LineInput], supports: list[SupportInput]) -> tuple[list[PlanLine], list[PlanSupport]]:
    """Both lists checked, every problem reported at once."""
    errors: dict[str, list[str]] = {}
    clean_lines: list[PlanLine] = []
    clean_supports: list[PlanSupport] = []
    try:
        clean_lines = _clean_lines(lines)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        clean_supports = _clean_supports(supports)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean_lines, clean_supports


def _plannable_customer(actor: User, customer: Customer | int) -> Customer:
    """The visible customer, locked so two first drafts of one month cannot race; else NotFound/Forbidden."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    found = (
        Customer.objects.visible_to(actor).select_for_update(of=("self",)).select_related("org_unit")
        .filter(pk=customer_id).first()
    )
    if found is None:
        raise NotFound
    if not scope.can_edit_plan(actor, found):
        raise Forbidden(_("You may not plan for this customer."))
    return found


def _check_version(plan: SalesPlan, version: Any) -> None:
    if version is None:
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    if parse_version(version) != plan.version:
        raise VersionConflict(plan)


def _refuse_locked(plan: SalesPlan) -> None:
    if plan.is_locked:
        raise ValidationError({"status": [
            _("This plan is %(status)s and cannot be changed; reopen it first (it will need approval again).")
            % {"status": plan.get_status_display()}
        ]})


def _stamp(plan: SalesPlan, actor: User) -> None:
    plan.version += 1
    plan.updated_at = timezone.now()
    plan._history_user = actor  # type: ignore[attr-defined]
    plan.save()


@transaction.atomic
def plan_save(
    *, actor: User, customer: Customer | int, month: Any, lines: list[LineInput], supports: list[SupportInput],
    note: str = "", version: Any = None, create_only: bool = False, request: HttpRequest | None = None,
) -> SalesPlan:
    """Create the customer's plan for `month`, or replace a draft/returned plan's lines and support items.

    `create_only` (the API's POST): an existing plan for the month is a field error, not a replacement.
    """
    owner = _plannable_customer(actor, customer)
    first = month_start(month)
    note = str(note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": [_("At most 300 characters.")]})
    new_lines, new_supports = _clean_all(list(lines), list(supports))
    plan = SalesPlan.objects.select_for_update().filter(customer=owner, month=first).first()
    creating = plan is None
    if plan is None:
        plan = SalesPlan(customer=owner, month=first, created_by=actor, version=0)
    elif create_only:
        raise ValidationError({"month": [
            _("This customer already has a plan for %(month)s; change that one instead.") % {"month": f"{first:%Y-%m}"}]})
    else:
        _check_version(plan, version)
        _refuse_locked(plan)
        plan.lines.all().delete()
        plan.supports.all().delete()
    plan.note = note
    plan.total_quantity = sum((line.quantity for line in new_lines), Decimal("0.000"))
    plan.total_amount = sum((line.amount for line in new_lines), Decimal("0.00"))
    plan.support_cost = sum((s.cost for s in new_supports), Decimal("0.00"))
    _stamp(plan, actor)
    for item in (*new_lines, *new_supports):
        item.plan = plan
    PlanLine.objects.bulk_create(new_lines)
    PlanSupport.objects.bulk_create(new_supports)
    audit_record(
        actor=actor, action=AuditAction.CREATE if creating else AuditAction.UPDATE, obj=plan, request=request,
        detail={"customer_id": owner.pk, "month": f"{first:%Y-%m}", "lines": len(new_lines),
                "total_amount": str(plan.total_amount), "support_cost": str(plan.support_cost)},
    )
    return plan


def _locked_plan(actor: User, plan_id: int) -> SalesPlan:
    visible = SalesPlan.objects.visible_to(actor).filter(pk=plan_id).values_list("pk", flat=True).first()
    if visible is None:
        raise NotFound
    return SalesPlan.objects.select_for_update(of=("self",)).select_related("customer__org_unit").get(pk=visible)


def _move(
    plan: SalesPlan, actor: User, to: PlanStatus, request: HttpRequest | None, action: AuditAction = AuditAction.STATUS_CHANGE,
    note: str = "",
) -> SalesPlan:
    before = plan.status
    plan.status = to
    _stamp(plan, actor)
    audit_record(actor=actor, action=action, obj=plan, request=request, detail={
        "customer_id": plan.customer_id, "month": f"{plan.month:%Y-%m}", "from": before, "to": to, "note": note,
    })
    return plan


def _refuse_unless(plan: SalesPlan, allowed: tuple[str, ...], message: str) -> None:
    if plan.status not in allowed:
        raise ValidationError({"status": [message % {"status": plan.get_status_display()}]})


@transaction.atomic
def plan_submit(*, actor: User, plan_id: int, version: Any, request: HttpRequest | None = None) -> SalesPlan:
    plan = _locked_plan(actor, plan_id)
    if not scope.can_edit_plan(actor, plan.customer):
        raise Forbidden(_("You may not submit this plan."))
    _check_version(plan, version)
    _refuse_unless(plan, EDITABLE, _("Only a draft or returned plan can be submitted; this one is %(status)s."))
    if not plan.lines.exists():
        raise ValidationError({"lines": [_("Add at least one product line before submitting.")]})
    plan.submitted_at = timezone.now()
    plan.decided_by, plan.decided_at, plan.decision_note = None, None, ""
    return _move(plan, actor, PlanStatus.SUBMITTED, request)


def plan_submitted_by(plan: SalesPlan) -> int | None:
    """Who sent the plan for approval last (from its history)."""
    record = plan.history.filter(status=PlanStatus.SUBMITTED).order_by("-history_date", "-history_id").first()
    return record.history_user_id if record is not None else None


def _decider(actor: User, plan_id: int, version: Any) -> SalesPlan:
    plan = _locked_plan(actor, plan_id)
    if not scope.can_approve_plan(actor, plan.customer):
        raise Forbidden(_("You may not approve or return this plan."))
    _check_version(plan, version)
    return plan


@transaction.atomic
def plan_approve(
    *, actor: User, plan_id: int, version: Any, note: str = "", request: HttpRequest | None = None
) -> SalesPlan:
    plan = _decider(actor, plan_id, version)
    _refuse_unless(plan, (PlanStatus.SUBMITTED,), _("Only a submitted plan can be approved; this one is %(status)s."))
    # Four eyes: whoever sent the plan up does not approve it too.
    if plan_submitted_by(plan) == actor.pk:
        raise Forbidden(_("You submitted this plan; someone else must approve it."))
    plan.decided_by, plan.decided_at, plan.decision_note = actor, timezone.now(), str(note or "").strip()[:300]
    return _move(plan, actor, PlanStatus.APPROVED, request, AuditAction.APPROVE, plan.decision_note)


@transaction.atomic
def plan_return(
    *, actor: User, plan_id: int, version: Any, reason: str, request: HttpRequest | None = None
) -> SalesPlan:
    """The manager sends a submitted (or approved) plan back to its owner with a reason."""
    plan = _decider(actor, plan_id, version)
    _refuse_unless(plan, (PlanStatus.SUBMITTED, PlanStatus.APPROVED),
                   _("Only a submitted or approved plan can be returned; this one is %(status)s."))
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what should change.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("At most 300 characters.")]})
    plan.decided_by, plan.decided_at, plan.decision_note = actor, timezone.now(), reason
    return _move(plan, actor, PlanStatus.RETURNED, request, note=reason)


@transaction.atomic
def plan_reopen(
    *, actor: User, plan_id: int, version: Any, reason: str = "", request: HttpRequest | None = None
) -> SalesPlan:
    """The owner pulls a submitted or approved plan back to draft to change it; it needs approval again."""
    plan = _locked_plan(actor, plan_id)
    if not scope.can_edit_plan(actor, plan.customer):
        raise Forbidden(_("You may not reopen this plan."))
    _check_version(plan, version)
    _refuse_unless(plan, (PlanStatus.SUBMITTED, PlanStatus.APPROVED),
                   _("Only a submitted or approved plan can be reopened; this one is %(status)s."))
    plan.submitted_at = None
    plan.decided_by, plan.decided_at, plan.decision_note = None, None, ""
    return _move(plan, actor, PlanStatus.DRAFT, request, note=str(reason or "").strip()[:300])


# --- drafting from last year's actuals --------------------------------------------------------

@dataclass
class CopyProposal:
    customer: Customer
    lines: list[PlanLine]

    @property
    def total_amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass
class CopyResult:
    month: date
    growth: Decimal
    proposals: list[CopyProposal] = field(default_factory=list)
    already_planned: list[Customer] = field(default_factory=list)
    without_actuals: int = 0
    not_allowed: int = 0
    created: int = 0

    @property
    def total_amount(self) -> Decimal:
        return sum((p.total_amount for p in self.proposals), Decimal("0.00"))


def parse_growth(value: Any) -> Decimal:
    """A growth factor such as 0.1 (+10 %); between -100 % and +1000 %."""
    try:
        growth = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"growth": [_("Enter the growth as a number, e.g. 0.1 for +10 %.")]}) from None
    if not growth.is_finite() or not Decimal(-1) <= growth <= MAX_GROWTH:
        raise ValidationError({"growth": [_("Enter a growth between -1 (-100 %) and 10 (+1000 %).")]})
    return growth


def _copy_customers(actor: User, chosen: Iterable[Customer | int] | None, org_unit: OrgUnit | int | None) -> Any:
    customers = Customer.objects.visible_to(actor).select_related("org_unit")
    if chosen is not None:
        customers = customers.filter(pk__in=[getattr(c, "pk", c) for c in chosen])
    if org_unit is not None:
        unit = OrgUnit.objects.filter(pk=getattr(org_unit, "pk", org_unit)).first()
        if unit is None:
            raise ValidationError({"org_unit": [_("No such org unit.")]})
        customers = customers.filter(org_unit__path__startswith=unit.path)
    if chosen is None and org_unit is None:
        raise ValidationError({"org_unit": [_("Choose an org unit or customers.")]})
    return customers


def plans_copy_from_actuals(
    *, actor: User, month: Any, growth: Any, customers: Iterable[Customer | int] | None = None,
    org_unit: OrgUnit | int | None = None, commit: bool = True, request: HttpRequest | None = None,
) -> CopyResult:
    """Draft plans for `month` from the same month last year (SalesMonth) × (1 + growth).

    `customers` (cards or ids) or `org_unit` (its whole subtree) chooses whom, always within what the
    actor sees. Only customers the actor may plan for; customers that already have a plan for the month are
    skipped and reported; so are customers without sales last year. With `commit=False`, a preview.
    """
    first, rate = month_start(month), parse_growth(growth)
    result = CopyResult(month=first, growth=rate)
    with transaction.atomic():
        scoped = _copy_customers(actor, customers, org_unit)
        # Subqueries, not id lists: a region holds more customers than SQLite takes parameters.
        ids = scoped.values("pk")
        customers = list(scoped.only("id", "code", "name", "owner_id", "org_unit__path", "archived_at").order_by("code", "id"))
        allowed = [c for c in customers if scope.can_edit_plan(actor, c)]
        result.not_allowed = len(customers) - len(allowed)
        planned = set(SalesPlan.objects.filter(customer__in=ids, month=first).values_list("customer_id", flat=True))
        result.already_planned = [c for c in allowed if c.pk in planned]
        last_year = first.replace(year=first.year - 1)
        actuals: dict[int, list[PlanLine]] = defaultdict(list)
        rows = (
            SalesMonth.objects.filter(customer__in=ids, month=last_year, product__is_active=True)
            .values("customer_id", "product_id").annotate(q=Sum("quantity"), a=Sum("amount"))
            .order_by("customer_id", "product_id")
        )
        factor = 1 + rate
        for row in rows:
            if row["q"] > 0 or row["a"] > 0:
                actuals[row["customer_id"]].append(PlanLine(
                    product_id=row["product_id"], schedule="",
                    quantity=max(row["q"] * factor, Decimal(0)).quantize(MILLI, rounding=ROUND_HALF_UP),
                    amount=max(row["a"] * factor, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP),
                ))
        result.proposals = [CopyProposal(c, actuals[c.pk]) for c in allowed if c.pk in actuals and c.pk not in planned]
        result.without_actuals = len(allowed) - len(result.already_planned) - len(result.proposals)
        if commit and result.proposals:
            _write_copies(actor, result, request)
    return result


def _write_copies(actor: User, result: CopyResult, request: HttpRequest | None) -> None:
    note = _("From %(month)s last year × %(factor)s") % {
        "month": f"{result.month:%m}", "factor": f"{1 + result.growth:.4f}".rstrip("0").rstrip("."),
    }
    now = timezone.now()
    plans = [
        SalesPlan(
            customer=p.customer, month=result.month, created_by=actor, note=note, created_at=now, updated_at=now,
            total_quantity=sum((line.quantity for line in p.lines), Decimal("0.000")), total_amount=p.total_amount,
        )
        for p in result.proposals
    ]
    # Inside a transaction, with the unique (customer, month) constraint: a plan someone else wrote
    # meanwhile makes the whole copy fail rather than be overwritten.
    saved = bulk_create_with_history(plans, SalesPlan, batch_size=500, default_user=actor)
    by_customer = {plan.customer_id: plan for plan in saved}
    lines = []
    for proposal in result.proposals:
        for line in proposal.lines:
            line.plan_id = by_customer[proposal.customer.pk].pk
            lines.append(line)
    PlanLine.objects.bulk_create(lines, batch_size=2000)
    result.created = len(plans)
    audit_record(actor=actor, action=AuditAction.CREATE, request=request, detail={
        "plans_copied_from_actuals": result.created, "month": f"{result.month:%Y-%m}", "growth": str(result.growth),
        "skipped_already_planned": len(result.already_planned), "total_amount": str(result.total_amount),
    })
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=actor, username=actor.get_username(), action=AuditAction.CREATE, object_type="salesplan",
                   object_id=plan.pk, object_repr=str(plan)[:200],
                   detail={"customer_id": plan.customer_id, "month": f"{result.month:%Y-%m}", "copied": True})
        for plan in by_customer.values()
    ], batch_size=1000)
