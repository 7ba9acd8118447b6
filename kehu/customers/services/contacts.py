"""Contacts of a card: written only by those who may edit the card."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.completeness import completeness_score
from kehu.customers.custom_fields import active_fields
from kehu.customers.models import Contact, Customer

CONTACT_FIELDS = frozenset({"name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary", "notes"})


def _editable_customer(actor: User, customer_id: int) -> Customer:
    customer = Customer.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound
    if not scope.can_edit(actor, customer):
        raise Forbidden(_("You may not edit this card."))
    return customer


def _apply(contact: Contact, data: dict[str, Any]) -> list[str]:
    unknown = set(data) - CONTACT_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    changed = []
    for name, value in data.items():
        value = value.strip() if isinstance(value, str) else value
        try:
            # Compare as the field's own type: "1990-02-28" is the same birthday as a date.
            value = Contact._meta.get_field(name).to_python(value)
        except ValidationError:
            pass  # kept as given; full_clean reports it under the field's name
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    try:
        contact.full_clean(exclude=["customer"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    return changed


def _after_change(actor: User, customer: Customer, contact: Contact) -> None:
    if contact.is_primary:
        # A new version, so a form still showing the old primary cannot silently take it back.
        Contact.objects.filter(customer=customer, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False, version=F("version") + 1, updated_at=timezone.now()
        )
    score = completeness_score(customer, Contact.objects.filter(customer=customer), active_fields())
    if score != customer.completeness:
        Customer.objects.filter(pk=customer.pk).update(completeness=score)


@transaction.atomic
def contact_create(
    *, actor: User, customer_id: int, data: dict[str, Any], request: HttpRequest | None = None
) -> Contact:
    customer = _editable_customer(actor, customer_id)
    contact = Contact(customer=customer)
    _apply(contact, data)
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.save()
    _after_change(actor, customer, contact)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=contact, request=request,
                 detail={"customer_id": customer.pk})
    return contact


def _locked_contact(actor: User, contact_id: int) -> tuple[Contact, Customer]:
    contact = Contact.objects.visible_to(actor).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound
    customer = _editable_customer(actor, contact.customer_id)
    return Contact.objects.select_for_update().get(pk=contact_id), customer


@transaction.atomic
def contact_update(
    *, actor: User, contact_id: int, data: dict[str, Any], version: int | None,
    request: HttpRequest | None = None,
) -> Contact:
    contact, customer = _locked_contact(actor, contact_id)
    if version is None:
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    if parse_version(version) != contact.version:
        raise VersionConflict(contact)
    changed = _apply(contact, data)
    if not changed:
        return contact
    contact.version += 1
    contact.updated_at = timezone.now()
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.save()
    _after_change(actor, customer, contact)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=contact, request=request,
                 detail={"customer_id": customer.pk, "fields": changed})
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact_id: int, request: HttpRequest | None = None) -> None:
    contact, customer = _locked_contact(actor, contact_id)
    audit_record(actor=actor, action=AuditAction.DELETE, obj=contact, request=request,
                 detail={"customer_id": customer.pk})
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.delete()
    score = completeness_score(customer, Contact.objects.filter(customer=customer), active_fields())
    Customer.objects.filter(pk=customer.pk).update(completeness=score)
