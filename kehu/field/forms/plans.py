"""Parsing the visit-plan pages' input: the list filters, the week's edits, the field profile."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.field.models import FieldProfile, PlanState

WEEKDAY_CHOICES = [
    ("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
    ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday")),
]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class PlanFilterForm(forms.Form):
    rep = forms.TypedChoiceField(label=_("Rep"), required=False, coerce=int, empty_value=None)
    week = forms.DateField(label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any"))] + PlanState.choices)

    def __init__(self, *args: Any, reps: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].choices = [("", _("Everyone"))] + [(r.pk, str(r)) for r in reps]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if "week" in data:
            data["week"] = monday_of(data["week"])
        return data


class ReviewForm(forms.Form):
    version = forms.IntegerField(min_value=0)
    note = forms.CharField(required=False, max_length=1000)


class AddForm(forms.Form):
    version = forms.IntegerField(min_value=0)
    customer = forms.CharField(label=_("Customer (code or name)"), max_length=200)
    day = forms.DateField()


class MoveForm(forms.Form):
    version = forms.IntegerField(min_value=0)
    visit = forms.IntegerField(min_value=1)
    day = forms.DateField(required=False)


class FieldProfileForm(forms.ModelForm):
    work_days = forms.MultipleChoiceField(label=_("Working days"), choices=WEEKDAY_CHOICES,
                                          widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = FieldProfile
        fields = ["work_days", "day_starts_at", "day_ends_at", "base_label", "base_lat", "base_lng",
                  "service_minutes", "max_visits_per_day"]
        widgets = {
            "day_starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "day_ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["work_days"] = list(self.instance.work_days)
            self.initial["version"] = self.instance.version

    def clean_work_days(self) -> str:
        return "".join(sorted(self.cleaned_data["work_days"]))

    def data_for_service(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def this_monday() -> date:
    return monday_of(timezone.localdate())
