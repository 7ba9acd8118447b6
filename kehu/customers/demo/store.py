"""Writing drafted cards in bulk, with their history and audit trail.

Cards are inserted in their current state. Their history is written with simple_history's bulk
API: a "+" record by the creator at the creation time holding the values *before* the last edit,
then, for cards edited since, a "~" record by the editor at the edit time holding the current
values. The history tab thus shows who changed which field from what to what, and the audit log
agrees with it. (Inserting the first state and bulk-updating to the current one would tell the
same story, but SQL `CASE` updates over thousands of rows cost most of the run time.)
Contacts have no past: `bulk_create_with_history` gives each its creation record.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from simple_history.utils import bulk_create_with_history

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.completeness import completeness_score
from kehu.customers.demo.cards import Draft
from kehu.customers.models import Contact, Customer, CustomField
from kehu.customers.search import build_search_text

BATCH = 500


def _attname(name: str) -> str:
    return str(Customer._meta.get_field(name).attname)


def _derive(draft: Draft, custom_fields: Sequence[CustomField]) -> None:
    card = draft.card
    card.search_text = build_search_text(
        name=card.name, short_name=card.short_name, code=card.code, phone=card.phone
    )
    card.completeness = completeness_score(card, draft.contacts, custom_fields)
    card.version = 2 if draft.earlier else 1


def _as_first_written(draft: Draft) -> Customer:
    """A copy of the card with the values it had before its last edit, for the creation record."""
    first = copy.copy(draft.card)
    first._state = copy.copy(draft.card._state)
    first._state.fields_cache = {}
    for name, value in draft.earlier.items():
        setattr(first, _attname(name), value)
    first._history_user = draft.creator  # type: ignore[attr-defined]
    first._history_date = draft.card.created_at  # type: ignore[attr-defined]
    return first


def cards_save(drafts: Sequence[Draft], custom_fields: Sequence[CustomField]) -> None:
    """Insert the cards and contacts of `drafts` (upstream cards must already be saved)."""
    for draft in drafts:
        _derive(draft, custom_fields)
    cards = Customer.objects.bulk_create([d.card for d in drafts], batch_size=BATCH)
    history = Customer.history  # type: ignore[attr-defined]
    history.bulk_history_create([_as_first_written(d) for d in drafts], batch_size=BATCH)
    edited = [d.card for d in drafts if d.earlier]
    for draft in drafts:
        draft.card._history_user = draft.editor  # type: ignore[attr-defined]
        draft.card._history_date = draft.card.updated_at  # type: ignore[attr-defined]
    history.bulk_history_create(edited, batch_size=BATCH, update=True)
    assert all(card.pk for card in cards)
    _contacts_save(drafts)
    _audit_save(drafts)


def _contacts_save(drafts: Sequence[Draft]) -> None:
    contacts = []
    for draft in drafts:
        for contact in draft.contacts:
            contact.customer = draft.card
            contact.created_at = contact.updated_at = draft.card.created_at
            contact._history_user = draft.creator  # type: ignore[attr-defined]
            contact._history_date = draft.card.created_at  # type: ignore[attr-defined]
            contacts.append(contact)
    bulk_create_with_history(contacts, Contact, batch_size=BATCH)


def _audit_save(drafts: Sequence[Draft]) -> None:
    events = []
    for draft in drafts:
        card = draft.card
        events.append(_event(draft.creator, AuditAction.CREATE, card, card.created_at, {}))
        if draft.earlier and draft.editor is not None:
            events.append(
                _event(
                    draft.editor, AuditAction.UPDATE, card, card.updated_at, {"fields": sorted(draft.earlier)}
                )
            )
    AuditEvent.objects.bulk_create(events, batch_size=BATCH)


def _event(actor: Any, action: AuditAction, card: Customer, at: Any, detail: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        at=at,
        actor=actor,
        username=actor.get_username(),
        action=action,
        object_type="customer",
        object_id=card.pk,
        object_repr=str(card)[:200],
        detail=detail,
    )
