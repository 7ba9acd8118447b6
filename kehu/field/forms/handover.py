"""Forms of the handover pages: a new leave, a new departure, an action carrying the version.
They parse; `kehu.field.services.handover` decides what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        unit = obj.org_unit.name if obj.org_unit else ""
        return f"{obj} · {obj.role_label}" + (f" · {unit}" if unit else "")


class UsersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return UserChoice.label_from_instance(self, obj)  # type: ignore[arg-type]


class LeaveForm(forms.Form):
    rep = UserChoice(label=_("Rep on leave"), queryset=User.objects.none())
    delegate = UserChoice(label=_("Delegate"), queryset=User.objects.none(),
                          help_text=_("Borrows the rep's cards for the dates and takes over the visits and collections."))
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"starts_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = users  # type: ignore[attr-defined]
        self.fields["delegate"].queryset = users  # type: ignore[attr-defined]


class DepartureForm(forms.Form):
    rep = UserChoice(label=_("Rep who leaves"), queryset=User.objects.none())
    successors = UsersChoice(label=_("Successors"), queryset=User.objects.none(),
                             widget=forms.CheckboxSelectMultiple,
                             help_text=_("Each card is proposed to the nearest of them; you can change it before applying."))
    starts_on = forms.DateField(label=_("Effective from"), widget=DATE)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"starts_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = users  # type: ignore[attr-defined]
        self.fields["successors"].queryset = users  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)


def assignments_from(post: Any) -> dict[int, int]:
    """`successor-<customer id>` = <user id> from the item table; anything else is ignored."""
    out: dict[int, int] = {}
    for key, value in post.items():
        if key.startswith("successor-"):
            try:
                out[int(key[10:])] = int(value)
            except ValueError:
                continue
    return out
