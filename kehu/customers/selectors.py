"""Reads of customer data. Every function takes the asking user and starts from visible_to(user)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant, GrantStatus, User
from kehu.core.errors import NotFound
from kehu.core.masking import mask_value
from kehu.customers.filters import CustomerFilter, CustomerListFilter
from kehu.customers.models import Contact, Customer, CustomerGroup, Tag

SENSITIVE_CUSTOMER_FIELDS = frozenset({"credit_code"})
SENSITIVE_CONTACT_FIELDS = frozenset({"mobile", "phone", "email", "wechat"})


def customer_queryset(*, user: Any) -> QuerySet[Customer]:
    return (
        Customer.objects.visible_to(user)
        .select_related("owner", "org_unit")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


def customer_list(*, user: Any, params: Any) -> CustomerFilter:
    """The filtered list; `.qs` is the queryset, `.form` the bound filter form (errors included)."""
    return CustomerListFilter(params, queryset=customer_queryset(user=user))


def customer_get(*, user: Any, customer_id: Any) -> Customer:
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound from None
    customer = customer_queryset(user=user).select_related("upstream").filter(pk=pk).first()
    if customer is None:
        raise NotFound
    return customer


def customer_contacts(*, user: Any, customer: Customer) -> list[Contact]:
    contacts = list(Contact.objects.visible_to(user).filter(customer=customer))
    if not scope.can_see_sensitive(user, customer):
        for contact in contacts:
            contact_mask(contact)
    return contacts


def contact_mask(contact: Contact) -> Contact:
    for name in SENSITIVE_CONTACT_FIELDS:
        setattr(contact, name, mask_value(getattr(contact, name)))
    contact.is_masked = True  # type: ignore[attr-defined]
    return contact


def customer_mask(customer: Customer) -> Customer:
    for name in SENSITIVE_CUSTOMER_FIELDS:
        setattr(customer, name, mask_value(getattr(customer, name)))
    customer.is_masked = True  # type: ignore[attr-defined]
    return customer


def customer_groups(*, customer: Customer) -> list[CustomerGroup]:
    return list(customer.groups.all())


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    user: str
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str
    changes: list[FieldChange]
    note: str = ""  # why, when the change says (a merge)


# The change reasons services/merge.py stores, shown in the reader's language.
MERGE_NOTES = [
    (re.compile(r"^merged (?P<code>.+) into this card$"), gettext_lazy("merged %(code)s into this card")),
    (re.compile(r"^merged into (?P<code>.+)$"), gettext_lazy("merged into %(code)s")),
    (re.compile(r"^moved from (?P<code>.+) by a merge$"), gettext_lazy("moved here from %(code)s by a merge")),
]


def history_note(reason: str | None) -> str:
    for pattern, text in MERGE_NOTES:
        found = pattern.match(reason or "")
        if found:
            return str(text) % {"code": found["code"]}
    return ""


def _display(record: Any, field_name: str) -> str:
    value = getattr(record, field_name, None)
    if value is None or value == "":
        return ""
    field = record.instance_type._meta.get_field(field_name)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(field, "remote_field") and field.remote_field is not None:
        related = getattr(record, field_name, None)
        return str(related) if related is not None else ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def _entries(records: list[Any], subject: str, sensitive: frozenset[str], masked: bool) -> list[HistoryEntry]:
    entries = []
    for record in records:
        user = str(record.history_user) if record.history_user else ""
        label = f"{subject}: {record.name}" if subject else ""
        note = history_note(record.history_change_reason)
        if record.history_type == "~" and record.kehu_prev is not None:
            delta = record.diff_against(record.kehu_prev)
            changes = []
            for change in delta.changes:
                field = record.instance_type._meta.get_field(change.field)
                old, new = _display(record.kehu_prev, change.field), _display(record, change.field)
                if masked and change.field in sensitive:
                    old, new = mask_value(old), mask_value(new)
                changes.append(FieldChange(change.field, str(field.verbose_name), old, new))
            if not changes and not note:
                continue
            entries.append(HistoryEntry(record.history_date, user, "~", label, changes, note))
        else:
            entries.append(HistoryEntry(record.history_date, user, record.history_type, label, [], note))
    return entries


def customer_history(*, user: Any, customer: Customer) -> list[HistoryEntry]:
    """Who changed which field of the card (and its contacts) from what to what, newest first."""
    masked = not scope.can_see_sensitive(user, customer)
    card_records = list(
        Customer.history.filter(id=customer.pk).select_related("history_user").order_by("history_date", "history_id")
    )
    _link(card_records)
    contact_records = list(
        Contact.history.filter(customer_id=customer.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    _link(contact_records, key="id")
    entries = _entries(card_records, "", SENSITIVE_CUSTOMER_FIELDS, masked)
    merged_ids = list(Customer.objects.filter(merged_into=customer).values_list("pk", flat=True))
    if merged_ids:  # cards merged into this one: their own history, marked as theirs
        merged_records = list(
            Customer.history.filter(id__in=merged_ids).select_related("history_user").order_by("id", "history_date", "history_id")
        )
        _link(merged_records, key="id")
        entries += _entries(merged_records, str(gettext_lazy("merged card")), SENSITIVE_CUSTOMER_FIELDS, masked)
    entries += _entries(contact_records, str(Contact._meta.verbose_name), SENSITIVE_CONTACT_FIELDS, masked)
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _link(records: list[Any], key: str | None = None) -> None:
    """Give each history record its predecessor without one query per record."""
    previous: dict[Any, Any] = {}
    for record in records:
        group = getattr(record, key) if key else None
        record.kehu_prev = previous.get(group)
        previous[group] = record


def grant_lists(*, user: User) -> dict[str, QuerySet[AccessGrant]]:
    """Pending, active and past loans the user asked for or may decide."""
    decidable = scope.grants_decidable_q(user)
    mine = AccessGrant.objects.filter(grantee=user)
    others = AccessGrant.objects.all() if decidable is None else AccessGrant.objects.filter(decidable)
    base = (mine | others).select_related("customer", "grantee", "decided_by").distinct()
    active = AccessGrant.objects.active().values("id")
    return {
        "pending": base.filter(status=GrantStatus.PENDING),
        "active": base.filter(id__in=active),
        "past": base.exclude(status=GrantStatus.PENDING).exclude(id__in=active),
    }


def matches_masked(user: Any, matches: list[Any]) -> list[Any]:
    """Likely-duplicate matches with each card masked as its own page would show it to `user`."""
    for match in matches:
        if not scope.can_see_sensitive(user, match.customer):
            customer_mask(match.customer)
    return matches
