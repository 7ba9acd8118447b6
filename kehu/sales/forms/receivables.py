"""Forms of the receivables pages: they parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.sales.models import Order, PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AllocateMode:
    OLDEST = "oldest"
    NONE = "none"
    HAND = "hand"
    CHOICES = [
        (OLDEST, _("To the oldest open orders first")),
        (HAND, _("By hand, to the orders below")),
        (NONE, _("Keep it all as the customer's credit")),
    ]


class PaymentForm(forms.Form):
    """A payment or credit note. With `orders`, one amount field per open order (`alloc_<id>`)."""

    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    date = forms.DateField(label=_("Date"), widget=DATE)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER)
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False,
                                help_text=_("Bank slip, cheque or transaction number."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    allocate = forms.ChoiceField(label=_("Allocate"), choices=AllocateMode.CHOICES, initial=AllocateMode.OLDEST,
                                 widget=forms.RadioSelect)

    def __init__(self, *args: Any, orders: list[Order] | None = None, with_method: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.orders = orders or []
        if not with_method:
            del self.fields["method"]
        for order in self.orders:
            self.fields[f"alloc_{order.pk}"] = forms.DecimalField(
                label=f"{order.number} · {order.due_date or order.order_date:%Y-%m-%d} · {order.open_amount}",
                required=False, **MONEY,
            )

    def allocation_fields(self) -> list[Any]:
        return [self[f"alloc_{order.pk}"] for order in self.orders]

    def allocate_value(self) -> Any:
        mode = self.cleaned_data["allocate"]
        if mode != AllocateMode.HAND:
            return mode
        return [(o.pk, self.cleaned_data[f"alloc_{o.pk}"]) for o in self.orders if self.cleaned_data.get(f"alloc_{o.pk}")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("allocate") == AllocateMode.HAND and not any(
            data.get(f"alloc_{o.pk}") for o in self.orders
        ):
            self.add_error("allocate", _("Enter an amount for at least one order, or choose another way to allocate."))
        return data


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    date = forms.DateField(label=_("Date"), widget=DATE)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER)
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class AllocationForm(forms.Form):
    order = forms.TypedChoiceField(label=_("Order"), coerce=int)
    amount = forms.DecimalField(label=_("Amount"), **MONEY)

    def __init__(self, *args: Any, orders: list[Order], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [
            (o.pk, f"{o.number} · {o.due_date or o.order_date:%Y-%m-%d} · {_('open')} {o.open_amount}") for o in orders
        ]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is it voided?"), max_length=300)


class CollectionForm(forms.Form):
    due_on = forms.DateField(label=_("Planned for"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    responsible = forms.TypedChoiceField(label=_("Responsible"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = [("", "—"), *[(u.pk, str(u)) for u in people]]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("due_on", "amount", "responsible", "note")}


class BalanceFilterForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("Per"), required=False,
        choices=[("rep", _("Sales rep")), ("customer", _("Customer")), ("month", _("Month (all together)"))],
    )
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=36, required=False)
