"""Forms of the rep's day: a position (check-in/out, with or without the phone's GPS), the visit
report, and the card fields a rep updates from the visit. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.field.models import VisitOutcome, VisitPurpose
from kehu.field.services.visits import REPORT_CARD_FIELDS


class PositionForm(forms.Form):
    """Filled by `field/day.js` from `navigator.geolocation`; typed by hand when the phone has no GPS."""

    lat = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    lng = forms.CharField(label=_("Longitude"), max_length=20, required=False)
    accuracy = forms.CharField(label=_("Accuracy (m)"), max_length=20, required=False)
    version = forms.CharField(widget=forms.HiddenInput, max_length=20)


class CardVersionForm(forms.Form):
    card_version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    version = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)


class AdHocVisitForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    q = forms.CharField(required=False, max_length=60)


class VisitReportForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[("", "—"), *VisitPurpose.choices])
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *VisitOutcome.choices])
    summary = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              max_length=5000)
    orders_taken = forms.DecimalField(label=_("Orders taken (yuan)"), min_value=0, max_digits=14, decimal_places=2,
                                      required=False)
    money_collected = forms.DecimalField(label=_("Money collected (yuan)"), min_value=0, max_digits=14,
                                         decimal_places=2, required=False)
    next_steps = forms.CharField(label=_("Next steps"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                 max_length=5000)
    next_visit_on = forms.DateField(label=_("Next visit"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    card_version = forms.CharField(widget=forms.HiddenInput, max_length=20)

    def report(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data.get(name) for name in
                ("purpose", "outcome", "summary", "orders_taken", "money_collected", "next_steps", "next_visit_on")}


_CARD_FIELDS = fields_for_model(Customer, fields=list(REPORT_CARD_FIELDS))
for _name in ("opens_at", "closes_at"):
    _CARD_FIELDS[_name].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


CardChangesForm = type("CardChangesForm", (forms.Form,), {
    "__doc__": "The card's fields a rep updates from the visit; only the ones changed are sent to the card.",
    **_CARD_FIELDS,
})


def card_changes_form(customer: Customer, data: Any = None) -> forms.Form:
    return CardChangesForm(data, prefix="card", initial=model_to_dict(customer, fields=list(REPORT_CARD_FIELDS)))


def card_changes(form: forms.Form) -> dict[str, Any]:
    """The values the rep actually changed (an untouched field never overwrites a concurrent edit)."""
    return {name: form.cleaned_data[name] for name in form.changed_data}
