"""What a card merge does to sales rows before they move to the surviving card.

Registered with the merge by `register()` (called from `SalesConfig.ready()`). Orders, payments,
collections, holds and plans move with the generic row move; this hook handles the rows that may
exist only once per customer: the monthly summaries are folded into the survivor's, two plans for
the same month are refused (a person resolves them first), and the merged card's open limit
suggestion is dismissed (its evidence describes a card that no longer trades on its own).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, Model, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.merge_hooks import register_merge_hook
from kehu.customers.models import Customer
from kehu.sales.models import CreditSuggestion, CustomerMonth, SalesMonth, SalesPlan, SuggestionStatus


def _fold(model: type[Model], survivor: Customer, merged: Customer, keys: tuple[str, ...], sums: tuple[str, ...]) -> int:
    """Add the merged card's rows to the survivor's rows with the same keys and delete them; rows
    with keys only the merged card has are left for the generic move. Set-based: two statements."""
    manager = model._default_manager
    theirs = manager.filter(customer_id=merged.pk, **{k: OuterRef(k) for k in keys})
    mine = manager.filter(customer_id=survivor.pk, **{k: OuterRef(k) for k in keys})
    folded = manager.filter(customer_id=survivor.pk).filter(Exists(theirs)).update(
        **{name: F(name) + Subquery(theirs.values(name)[:1]) for name in sums}
    )
    manager.filter(customer_id=merged.pk).filter(Exists(mine)).delete()
    return folded


def _refuse_plan_clash(survivor: Customer, merged: Customer) -> None:
    theirs = SalesPlan.objects.filter(customer_id=merged.pk).values("month")
    months = list(
        SalesPlan.objects.filter(customer_id=survivor.pk, month__in=theirs).order_by("month").values_list("month", flat=True)
    )
    if months:
        raise ValidationError({"merged": [
            _("Both cards have a sales plan for %(months)s; merge or delete one of each pair of plans before merging the cards.")
            % {"months": ", ".join(f"{m:%Y-%m}" for m in months)}
        ]})


def sales_merge(*, survivor: Customer, merged: Customer, **_: Any) -> None:
    _refuse_plan_clash(survivor, merged)
    _fold(SalesMonth, survivor, merged, ("month", "product_id"), ("quantity", "amount"))
    _fold(CustomerMonth, survivor, merged, ("month",), ("sales", "orders", "collected"))
    CreditSuggestion.objects.filter(customer_id=merged.pk, status=SuggestionStatus.OPEN).update(
        status=SuggestionStatus.DISMISSED, decided_at=timezone.now()
    )


def register() -> None:
    register_merge_hook(sales_merge)
