"""The collection schedule (回款计划): planned collections added, edited and cancelled by hand, and reminders.

Collections of booked orders are planned by `ledger.on_order_booked` and follow the money
(`money.collections_follow`); these services are the hand-made changes. Reminders go to the
responsible user by mail `KEHU_COLLECTION_REMIND_DAYS` days before the planned day and on the day,
once each (the `reminded_*_at` stamps).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date as Date
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, checks_run, parse_version
from kehu.customers.models import Customer
from kehu.sales.models import Collection, CollectionStatus, Order
from kehu.sales.services.money import customer_lock, money_clean, text_clean

log = logging.getLogger(__name__)
EDITABLE = ("due_on", "amount", "responsible", "note")


def remind_days() -> int:
    return int(getattr(settings, "KEHU_COLLECTION_REMIND_DAYS", 3))


def _responsible(value: Any, customer: Customer) -> int | None:
    """A responsible user must be active and able to see the card (or the reminder would leak it)."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, User) else value
    user = User.objects.filter(pk=pk, is_active=True).first() if str(pk).isdigit() else None
    if user is None or not scope.can_view(user, customer):
        raise ValidationError({"responsible": [_("Choose an active user who can see this customer.")]})
    return user.pk


def _due_on(value: Any) -> Date:
    if not isinstance(value, Date):
        raise ValidationError({"due_on": [_("Enter a date as YYYY-MM-DD.")]})
    return value


@transaction.atomic
def collection_create(
    *, actor: User, customer: Customer | int, due_on: Any, amount: Any, responsible: Any = None, note: str = "",
    order: Order | int | None = None, request: HttpRequest | None = None,
) -> Collection:
    """Plan a collection by hand (for an order of the customer, or for the customer as a whole)."""
    locked = customer_lock(actor=actor, customer_id=customer.pk if isinstance(customer, Customer) else customer)
    if not scope.can_record_money(actor, locked):
        raise Forbidden(_("You may not plan collections for this customer."))
    values = checks_run({
        "due_on": lambda: _due_on(due_on),
        "amount": lambda: money_clean(amount),
        "responsible": lambda: _responsible(responsible, locked) if responsible not in (None, "") else locked.owner_id,
        "note": lambda: text_clean(note, "note", 300),
    })
    order_id = order.pk if isinstance(order, Order) else order
    if order_id not in (None, "") and not Order.objects.filter(pk=order_id, customer=locked).exists():
        raise ValidationError({"order": [_("Choose an order of this customer.")]})
    collection = Collection.objects.create(
        customer=locked, order_id=order_id or None, due_on=values["due_on"], amount=values["amount"],
        responsible_id=values["responsible"], note=values["note"],
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=collection, request=request,
                 detail={"customer": locked.pk, "amount": str(collection.amount), "due_on": str(collection.due_on)})
    return collection


def _locked_collection(actor: User, collection_id: Any) -> tuple[Collection, Customer]:
    try:
        pk = int(collection_id)
    except (TypeError, ValueError):
        raise NotFound from None
    seen = Collection.objects.visible_to(actor).filter(pk=pk).first()
    if seen is None:
        raise NotFound
    customer = customer_lock(actor=actor, customer_id=seen.customer_id)
    collection = Collection.objects.select_for_update(of=("self",)).select_related("responsible").get(pk=pk)
    if not scope.can_record_money(actor, customer):
        raise Forbidden(_("You may not change this customer's collection plan."))
    return collection, customer


@transaction.atomic
def collection_update(
    *, actor: User, collection_id: Any, data: dict[str, Any], version: Any, request: HttpRequest | None = None
) -> Collection:
    """Change the day, amount, responsible user or note of an open planned collection."""
    collection, customer = _locked_collection(actor, collection_id)
    if version in (None, ""):
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    if parse_version(version) != collection.version:
        raise VersionConflict(collection)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    if collection.status != CollectionStatus.OPEN:
        raise ValidationError({"status": [_("Only an open planned collection can be changed.")]})
    checks = {
        "due_on": lambda: _due_on(data["due_on"]),
        "amount": lambda: money_clean(data["amount"]),
        "responsible": lambda: _responsible(data["responsible"], customer),
        "note": lambda: text_clean(data["note"], "note", 300),
    }
    values = checks_run({name: check for name, check in checks.items() if name in data})
    changed = []
    for name, value in values.items():
        attname = "responsible_id" if name == "responsible" else name
        if getattr(collection, attname) != value:
            setattr(collection, attname, value)
            changed.append(name)
    if not changed:
        return collection
    if "due_on" in changed:  # a new day is announced again
        collection.reminded_before_at = collection.reminded_due_at = None
    collection.version += 1
    collection.updated_at = timezone.now()
    collection.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=collection, request=request, detail={"fields": changed})
    return collection


@transaction.atomic
def collection_cancel(
    *, actor: User, collection_id: Any, version: Any = None, request: HttpRequest | None = None
) -> Collection:
    collection, _customer = _locked_collection(actor, collection_id)
    if version not in (None, "") and parse_version(version) != collection.version:
        raise VersionConflict(collection)
    if collection.status != CollectionStatus.OPEN:
        raise ValidationError({"status": [_("Only an open planned collection can be cancelled.")]})
    collection.status = CollectionStatus.CANCELLED
    collection.version += 1
    collection.updated_at = timezone.now()
    collection.save(update_fields=["status", "version", "updated_at"])
    audit_record(actor=actor, action=AuditAction.STATUS_CHANGE, obj=collection, request=request,
                 detail={"status": CollectionStatus.CANCELLED})
    return collection


# --- reminders -------------------------------------------------------------------------------


def reminders_due_q(today: Date) -> Q:
    """Open collections whose reminder is owed today: on the day, or within the lead time before it."""
    ahead = today + timedelta(days=remind_days())
    on_the_day = Q(due_on=today, reminded_due_at__isnull=True)
    before = Q(due_on__gt=today, due_on__lte=ahead, reminded_before_at__isnull=True)
    return Q(status=CollectionStatus.OPEN, responsible__isnull=False) & (on_the_day | before)


def _message(user: User, rows: list[Collection], today: Date) -> tuple[str, str]:
    with translation.override(getattr(settings, "LANGUAGE_CODE", "en")):
        subject = _("Kehu: %(n)d collections to make") % {"n": len(rows)}
        lines = [_("Hello %(name)s,") % {"name": user}, "", _("These planned collections are due:"), ""]
        for c in rows:
            when = _("today") if c.due_on == today else c.due_on.isoformat()
            order = f" · {c.order.number}" if c.order_id else ""
            lines.append(f"- {when} · {c.customer.code} {c.customer.name}{order} · {c.amount}")
        lines += ["", _("Open Kehu, Receivables → Collections, to see them and record what comes in.")]
    return subject, "\n".join(lines)


def collection_reminders_send(*, today: Date) -> int:
    """Mail each responsible user one list of their collections due today or within the lead time.

    Returns the number of mails sent. Each collection is announced once before its day and once
    on it (stamped in the same transaction as the mail is handed over), so a second run the same
    day sends nothing. A user without an email address, or who can no longer see the customer,
    gets nothing (the collection stays on the web list).
    """
    due = Collection.objects.filter(reminders_due_q(today)).values_list("responsible_id", flat=True).distinct()
    sent = 0
    for user in User.objects.filter(pk__in=list(due), is_active=True).exclude(email=""):
        try:
            sent += _remind(user, today)
        except Exception:  # one bad mailbox must not stop everyone else's reminders
            log.exception("Collection reminder to %s failed", user.pk)
    return sent


@transaction.atomic
def _remind(user: User, today: Date) -> int:
    rows = list(
        Collection.objects.visible_to(user).select_for_update(of=("self",)).filter(reminders_due_q(today), responsible=user)
        .select_related("customer", "order").order_by("due_on", "-amount", "id")
    )
    if not rows:
        return 0
    now = timezone.now()
    stamps: dict[str, list[int]] = defaultdict(list)
    for c in rows:
        stamps["reminded_due_at" if c.due_on == today else "reminded_before_at"].append(c.pk)
    for field, ids in stamps.items():
        Collection.objects.filter(pk__in=ids).update(**{field: now})
    # Stamped first: if the mail cannot be handed over, the stamps roll back with it.
    subject, body = _message(user, rows, today)
    send_mail(subject, body, None, [user.email])
    return 1


@task()
def collection_reminders_task() -> int:
    """The daily reminder run as a background task (`manage.py db_worker` runs it)."""
    return collection_reminders_send(today=timezone.localdate())
