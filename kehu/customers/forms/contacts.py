"""The contact form: the contact's fields and the version it was edited from."""

from __future__ import annotations

from typing import Any

from django import forms

from kehu.customers.forms.base import BIGINT_MAX
from kehu.customers.models import Contact
from kehu.customers.services.contacts import CONTACT_FIELDS

CONTACT_FORM_FIELDS = [
    "name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "birthday",
    "is_primary",
    "notes",
]
assert set(CONTACT_FORM_FIELDS) == CONTACT_FIELDS

WIDGETS = {
    "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
    "phone": forms.TextInput(attrs={"inputmode": "tel"}),
    "notes": forms.Textarea(attrs={"rows": 3}),
}


class ContactForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=0, max_value=BIGINT_MAX, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Contact, fields=CONTACT_FORM_FIELDS, widgets=WIDGETS))

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in CONTACT_FORM_FIELDS}


def contact_initial(contact: Contact) -> dict[str, Any]:
    return {**{name: getattr(contact, name) for name in CONTACT_FORM_FIELDS}, "version": contact.version}
