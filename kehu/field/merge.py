"""What a card merge does to field-work rows before they move to the surviving card.

Visits and territory suggestions move with the generic row move. A handover lists a customer
once: when both cards are in the same handover, the merged card's line is dropped (the survivor's
line already says who took the customer over). Open suggestions for the merged card are outdated.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from kehu.customers.merge_hooks import register_merge_hook
from kehu.customers.models import Customer
from kehu.field.models import HandoverItem, SuggestionState, TerritorySuggestion


def field_merge(*, survivor: Customer, merged: Customer, **_: Any) -> None:
    same_handover = HandoverItem.objects.filter(customer_id=survivor.pk, handover_id=OuterRef("handover_id"))
    HandoverItem.objects.filter(customer_id=merged.pk).filter(Exists(same_handover)).delete()
    TerritorySuggestion.objects.filter(customer_id=merged.pk, status=SuggestionState.PROPOSED).update(
        status=SuggestionState.OUTDATED
    )


def register() -> None:
    register_merge_hook(field_merge)
