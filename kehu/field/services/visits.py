"""Writes of the rep's day: ad-hoc visits, GPS check-in and check-out, setting a card's position,
and the visit report that hands the card back (with card fields updated in the same transaction).

Every function is atomic, locks the visit, re-checks access through `kehu.accounts.scope`, checks
the visit's `version`, and writes its audit row in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_id, parse_version
from kehu.customers.models import Customer, GeoPrecision
from kehu.customers.services import customer_update
from kehu.field.models import Visit, VisitOutcome, VisitPurpose, VisitReason, VisitStatus
from kehu.field.routing.matrix import haversine_m
from kehu.field.services.routes import day_routes_refresh

# Card fields a rep updates from what they saw on a visit (the report form's "card" part).
REPORT_CARD_FIELDS: tuple[str, ...] = (
    "phone", "address", "opens_at", "closes_at", "store_area", "employees", "brands_carried",
    "competitor_products", "usual_order_day", "usual_order_size", "payment_habit", "notes",
)
MAX_MONEY = Decimal("999999999999.99")
MAX_TEXT = 5000
MAX_ACCURACY_M = 100_000
COORD = Decimal("0.000001")


def far_metres() -> int:
    return int(getattr(settings, "KEHU_CHECKIN_FAR_METRES", 300))


def _locked(actor: User, visit_id: Any) -> Visit:
    """The visit, locked, if the actor sees it; only its own rep may work on it."""
    visit = (
        Visit.objects.visible_to(actor).select_for_update().select_related("customer")
        .filter(pk=parse_id(visit_id)).first()
    )
    if visit is None:
        raise NotFound
    if visit.rep_id != actor.pk or not scope.can_visit(actor, visit.customer):
        raise Forbidden(_("Only the visit's own rep may check in or report it."))
    return visit


def _check_version(visit: Visit, version: Any) -> None:
    if version is None or version == "":
        raise ValidationError({"version": [_("Send the version you read so concurrent edits are caught.")]})
    if parse_version(version) != visit.version:
        raise VersionConflict(visit)


def _bump(visit: Visit) -> None:
    visit.version += 1
    visit.updated_at = timezone.now()
    visit.save()


def _coordinate(value: Any, name: str, limit: int, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(COORD)
    except (InvalidOperation, ValueError, TypeError):
        errors[name] = [_("Enter a number.")]
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        errors[name] = [_("Enter a value between %(low)s and %(high)s.") % {"low": -limit, "high": limit}]
        return None
    return number


def clean_position(lat: Any, lng: Any, accuracy: Any = None) -> tuple[Decimal, Decimal, int | None]:
    """Validated (lat, lng, accuracy in whole metres) or a ValidationError naming the fields."""
    errors: dict[str, list[str]] = {}
    for name, value in (("lat", lat), ("lng", lng)):
        if value is None or str(value).strip() == "":
            errors[name] = [_("The phone did not send a position; allow location access or enter it.")]
    clean_lat = _coordinate(lat, "lat", 90, errors) if "lat" not in errors else None
    clean_lng = _coordinate(lng, "lng", 180, errors) if "lng" not in errors else None
    metres: int | None = None
    if accuracy is not None and str(accuracy).strip() != "":
        try:
            raw = Decimal(str(accuracy))
            if not raw.is_finite() or not 0 <= raw <= MAX_ACCURACY_M:
                raise ValueError
            metres = int(raw.to_integral_value())
        except (InvalidOperation, ValueError):
            errors["accuracy"] = [_("Enter the accuracy in metres (0 to %(max)s).") % {"max": MAX_ACCURACY_M}]
    if errors:
        raise ValidationError(errors)
    assert clean_lat is not None and clean_lng is not None
    return clean_lat, clean_lng, metres


def distance_to_card(customer: Customer, lat: Decimal, lng: Decimal) -> int | None:
    """Metres from (lat, lng) to the card's position, or None if the card has no position."""
    if customer.lat is None or customer.lng is None:
        return None
    return round(haversine_m((float(lat), float(lng)), (float(customer.lat), float(customer.lng))))


def offers_position(visit: Visit) -> bool:
    """After check-in at a card without an exact position, the rep may set it from the check-in."""
    customer = visit.customer
    return (
        visit.checkin_lat is not None and visit.status != VisitStatus.CANCELLED
        and (customer.geo_precision != GeoPrecision.EXACT or customer.lat is None or customer.lng is None)
    )


@transaction.atomic
def visit_create(
    *, actor: User, customer_id: Any, planned_on: date | None = None, purpose: str = "",
    request: HttpRequest | None = None,
) -> Visit:
    """An ad-hoc visit of the actor to one of their visible cards, today or a later day."""
    customer = Customer.objects.visible_to(actor).filter(pk=parse_id(customer_id)).first()
    if customer is None:
        raise NotFound
    if not scope.works_in_field(actor) or not scope.can_visit(actor, customer):
        raise Forbidden(_("You may not visit this customer."))
    today = timezone.localdate()
    day = planned_on or today
    errors: dict[str, list[str]] = {}
    if day < today:
        errors["planned_on"] = [_("An ad-hoc visit is for today or a later day.")]
    if purpose and purpose not in VisitPurpose.values:
        errors["purpose"] = [_("Choose a purpose from the list.")]
    if customer.is_archived:
        errors["customer"] = [_("This card is archived.")]
    elif Visit.objects.open().filter(rep=actor, customer=customer, planned_on=day).exists():
        errors["customer"] = [_("This customer is already on your list for that day.")]
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(
        customer=customer, rep=actor, planned_on=day, reason=VisitReason.MANUAL, purpose=purpose, created_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=visit, request=request,
                 detail={"customer": customer.pk, "planned_on": f"{day:%Y-%m-%d}", "ad_hoc": True})
    # The day's route takes the new stop in (or lists it as not fitting), as a plan edit does.
    day_routes_refresh(actor=actor, rep=actor, days={day}, request=request)
    visit.refresh_from_db()
    return visit


@transaction.atomic
def visit_check_in(
    *, actor: User, visit_id: Any, lat: Any, lng: Any, accuracy: Any = None, version: Any,
    request: HttpRequest | None = None,
) -> Visit:
    """Arrive at the customer: record the phone's position, its distance to the card, and the far flag."""
    visit = _locked(actor, visit_id)
    clean_lat, clean_lng, metres = clean_position(lat, lng, accuracy)
    _check_version(visit, version)
    if visit.status != VisitStatus.PLANNED:
        raise ValidationError({"status": [_("This visit is not waiting for a check-in (it is %(status)s).")
                                          % {"status": visit.get_status_display()}]})
    if visit.planned_on > timezone.localdate():
        raise ValidationError({"planned_on": [_("This visit is planned for a later day; check in on that day.")]})
    distance = distance_to_card(visit.customer, clean_lat, clean_lng)
    visit.status = VisitStatus.CHECKED_IN
    visit.checkin_at = timezone.now()
    visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy_m = clean_lat, clean_lng, metres
    visit.checkin_distance_m = distance
    visit.is_far = distance is not None and distance > far_metres()
    _bump(visit)
    audit_record(actor=actor, action=AuditAction.CHECK_IN, obj=visit, request=request, detail={
        "event": "check_in", "customer": visit.customer_id, "distance_m": distance, "is_far": visit.is_far,
        "accuracy_m": metres,
    })
    return visit


@transaction.atomic
def visit_check_out(
    *, actor: User, visit_id: Any, lat: Any = None, lng: Any = None, accuracy: Any = None, version: Any,
    request: HttpRequest | None = None,
) -> Visit:
    """Leave the customer. The position is recorded when the phone sends one; without it the time alone."""
    visit = _locked(actor, visit_id)
    has_position = any(v is not None and str(v).strip() != "" for v in (lat, lng))
    position = clean_position(lat, lng, accuracy) if has_position else None
    _check_version(visit, version)
    if visit.status != VisitStatus.CHECKED_IN:
        raise ValidationError({"status": [_("Check in before checking out.")]})
    visit.status = VisitStatus.CHECKED_OUT
    visit.checkout_at = timezone.now()
    if position is not None:
        visit.checkout_lat, visit.checkout_lng = position[0], position[1]
        visit.checkout_distance_m = distance_to_card(visit.customer, position[0], position[1])
    _bump(visit)
    audit_record(actor=actor, action=AuditAction.CHECK_IN, obj=visit, request=request, detail={
        "event": "check_out", "customer": visit.customer_id, "distance_m": visit.checkout_distance_m,
    })
    return visit


@transaction.atomic
def visit_set_card_position(
    *, actor: User, visit_id: Any, card_version: Any, request: HttpRequest | None = None,
) -> Customer:
    """Make the visit's check-in position the card's exact position (a card edit: version-checked, in history)."""
    visit = _locked(actor, visit_id)
    if visit.checkin_lat is None or visit.checkin_lng is None:
        raise ValidationError({"status": [_("Check in first: the card's position comes from the check-in.")]})
    data = {"lat": visit.checkin_lat, "lng": visit.checkin_lng, "geo_precision": GeoPrecision.EXACT}
    customer = customer_update(actor=actor, customer_id=visit.customer_id, data=data, version=card_version,
                               request=request)
    # The card now is where the rep stands: the check-in was not far from it.
    visit.checkin_distance_m, visit.is_far = 0, False
    _bump(visit)
    return customer


def _money(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal:
    if value is None or str(value).strip() == "":
        return Decimal("0.00")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        errors[name] = [_("Enter an amount in yuan, e.g. 1200.50.")]
        return Decimal("0.00")
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY or amount != amount.quantize(Decimal("0.01")):
        errors[name] = [_("Enter an amount in yuan, 0 or more, with at most 2 decimal places.")]
        return Decimal("0.00")
    return amount.quantize(Decimal("0.01"))


def _text(value: Any, name: str, errors: dict[str, list[str]]) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text or len(text) > MAX_TEXT:
        errors[name] = [_("Enter at most %(n)s characters of plain text.") % {"n": MAX_TEXT}]
    return text


def _next_visit(value: Any, errors: dict[str, list[str]]) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value))
    except ValueError:
        errors["next_visit_on"] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if day < timezone.localdate():
        errors["next_visit_on"] = [_("The next visit cannot be in the past.")]
    return day


def clean_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report's fields, validated; a ValidationError names every bad field at once."""
    errors: dict[str, list[str]] = {}
    known = {"purpose", "outcome", "summary", "orders_taken", "money_collected", "next_steps", "next_visit_on"}
    for name in sorted(set(report) - known):
        errors[name] = [_("This field cannot be set.")]
    purpose, outcome = report.get("purpose") or "", report.get("outcome") or ""
    if purpose not in VisitPurpose.values:
        errors["purpose"] = [_("Choose the visit's purpose.")]
    if outcome not in VisitOutcome.values:
        errors["outcome"] = [_("Choose the visit's outcome.")]
    clean = {
        "purpose": purpose, "outcome": outcome,
        "summary": _text(report.get("summary"), "summary", errors),
        "next_steps": _text(report.get("next_steps"), "next_steps", errors),
        "orders_taken": _money(report.get("orders_taken"), "orders_taken", errors),
        "money_collected": _money(report.get("money_collected"), "money_collected", errors),
        "next_visit_on": _next_visit(report.get("next_visit_on"), errors),
    }
    if errors:
        raise ValidationError(errors)
    return clean


def _card_update(actor: User, visit: Visit, changes: dict[str, Any], card_version: Any,
                 request: HttpRequest | None) -> list[str]:
    unknown = sorted(set(changes) - set(REPORT_CARD_FIELDS))
    if unknown:
        raise ValidationError({f"card.{name}": [_("This card field is not updated from a visit.")] for name in unknown})
    if not changes:
        return []
    before = visit.customer.version
    try:
        customer = customer_update(actor=actor, customer_id=visit.customer_id, data=changes, version=card_version,
                                   request=request)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({
            name if name in ("card_version", "version") else f"card.{name}": messages
            for name, messages in exc.message_dict.items()
        }) from None
    visit.customer = customer
    return sorted(changes) if customer.version != before else []


@transaction.atomic
def visit_report(
    *, actor: User, visit_id: Any, report: dict[str, Any], card_changes: dict[str, Any] | None = None,
    version: Any, card_version: Any = None, request: HttpRequest | None = None,
) -> Visit:
    """Hand the card back: the report and the card's changes in one transaction, or nothing at all.

    A report without a check-in is accepted (a visit where the phone had no position, a call
    instead of a visit) and stays recognisable: its `checkin_at` is empty. A visit checked in but
    not out is checked out now, without a position.
    """
    visit = _locked(actor, visit_id)
    clean = clean_report(report)
    _check_version(visit, version)
    if visit.status not in (VisitStatus.PLANNED, VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT):
        raise ValidationError({"status": [_("This visit is already reported or cancelled.")]})
    changes = dict(card_changes or {})
    if changes and (card_version is None or card_version == ""):
        raise ValidationError({"card_version": [_("Send the card's version you read with the card's changes.")]})
    changed = _card_update(actor, visit, changes, card_version, request)
    now = timezone.now()
    for name, value in clean.items():
        setattr(visit, name, value)
    if visit.status == VisitStatus.CHECKED_IN:
        visit.checkout_at = now
    visit.status = VisitStatus.DONE
    visit.reported_at = now
    _bump(visit)
    visited_at = visit.checkin_at or now
    Customer.objects.filter(pk=visit.customer_id).filter(
        Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=visited_at)
    ).update(last_visited_at=visited_at)
    audit_record(actor=actor, action=AuditAction.VISIT_REPORT, obj=visit, request=request, detail={
        "customer": visit.customer_id, "outcome": visit.outcome, "card_fields": changed,
        "orders_taken": str(visit.orders_taken), "money_collected": str(visit.money_collected),
        "checked_in": visit.checkin_at is not None,
    })
    return visit
