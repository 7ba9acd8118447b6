"""The card form: the model's card fields, one field per active custom field, tags and the version."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.accounts import scope
from kehu.accounts.models import OrgUnit, Role, User
from kehu.customers.custom_fields import display_value
from kehu.customers.forms.base import BIGINT_MAX
from kehu.customers.forms.presentation import CARD_SECTIONS, Difference, card_value, field_label, format_value
from kehu.customers.models import Customer, CustomField, CustomFieldType
from kehu.customers.services import CARD_FIELDS

SPECIAL_FIELDS = {"upstream"}
MODEL_FORM_FIELDS = [name for _title, names in CARD_SECTIONS for name in names if name not in SPECIAL_FIELDS]
TAG_SPLIT = re.compile(r"[,，、;；]")

WIDGETS = {
    "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "notes": forms.Textarea(attrs={"rows": 4}),
    "address": forms.TextInput(attrs={"class": "wide"}),
    "credit_code": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    "phone": forms.TextInput(attrs={"inputmode": "tel"}),
}


def owner_choices(user: User) -> QuerySet[User]:
    """Reps own only their cards; managers pick among their subtree; others among all reps/managers."""
    base = User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER]).order_by(
        "display_name", "id"
    )
    if user.role == Role.REP:
        return base.filter(pk=user.pk)
    visible = scope.users_visible_q(user)
    return base if visible is None else base.filter(visible)


def org_unit_choices(user: User) -> QuerySet[OrgUnit]:
    if user.role in (Role.REP, Role.MANAGER) and user.org_unit is not None:
        return OrgUnit.objects.filter(path__startswith=user.org_unit.path)
    return OrgUnit.objects.all()


def custom_form_field(field: CustomField) -> forms.Field:
    """A lenient input per type; the service parses the value and says what is wrong."""
    label = f"{field.label} *" if field.is_required else field.label
    kind = field.field_type
    if kind == CustomFieldType.BOOLEAN:
        return forms.BooleanField(label=label, required=False)
    if kind in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        choices = [(value, field.choice_label(value)) for value in field.choice_values()]
        if kind == CustomFieldType.CHOICE:
            return forms.ChoiceField(label=label, required=False, choices=[("", "---------"), *choices])
        return forms.MultipleChoiceField(
            label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
        )
    widget: forms.Widget = forms.TextInput()
    if kind == CustomFieldType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
    elif kind == CustomFieldType.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
    return forms.CharField(label=label, required=False, max_length=500, widget=widget)


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in TAG_SPLIT.split(text or "") if t.strip()]


class CustomerForm(forms.Form):
    # The upstream id travels in a hidden input, but the picker beside it shows its errors.
    hidden_fields_with_own_errors = ("upstream",)

    version = forms.IntegerField(required=False, min_value=0, max_value=BIGINT_MAX, widget=forms.HiddenInput)
    upstream = forms.IntegerField(
        label=_("Upstream supplier"),
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        widget=forms.HiddenInput,
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separate tags with commas.")
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        customer: Customer | None,
        custom_fields: list[CustomField],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = custom_fields
        self.fields.update(forms.fields_for_model(Customer, fields=MODEL_FORM_FIELDS, widgets=WIDGETS))
        self.fields["code"].required = False
        self.fields["code"].help_text = _("Leave empty to number the card automatically.")
        self.fields["owner"].queryset = self._with_current(owner_choices(user), customer, "owner_id")
        self.fields["org_unit"].queryset = self._with_current(org_unit_choices(user), customer, "org_unit_id")
        for field in custom_fields:
            self.fields[f"cf_{field.key}"] = custom_form_field(field)
        self.editable = scope.editable_fields(user, customer, CARD_FIELDS)
        for name, form_field in self.fields.items():
            if name != "version" and self.card_field(name) not in self.editable:
                form_field.disabled = True

    @staticmethod
    def _with_current(choices: QuerySet[Any], customer: Customer | None, attname: str) -> QuerySet[Any]:
        current = getattr(customer, attname, None) if customer is not None else None
        return (choices | choices.model.objects.filter(pk=current)).distinct() if current else choices

    @staticmethod
    def card_field(name: str) -> str:
        return "custom" if name.startswith("cf_") else name

    def section_fields(self) -> list[tuple[Any, list[forms.BoundField]]]:
        sections = [(title, [self[n] for n in names if n in self.fields]) for title, names in CARD_SECTIONS]
        custom = [self[f"cf_{f.key}"] for f in self.custom_fields]
        if custom:
            sections.insert(-1, (_("Custom fields"), custom))
        sections.insert(-1, (_("Tags"), [self["tags"]]))
        return sections

    def service_data(self) -> dict[str, Any]:
        """What the service receives: only the fields this user may change."""
        data: dict[str, Any] = {}
        for name in [*MODEL_FORM_FIELDS, "upstream"]:
            if name in self.editable:
                data[name] = self.cleaned_data.get(name)
        if "custom" in self.editable:
            data["custom"] = {f.key: self._custom_value(f) for f in self.custom_fields}
        if "tags" in self.editable:
            data["tags"] = split_tags(self.cleaned_data.get("tags", ""))
        return data

    def differences(self, current: Customer, user: User) -> list[Difference]:
        """Fields whose saved value now differs from what the user sent: label, saved, theirs."""
        found = []
        for name in [*MODEL_FORM_FIELDS, "upstream"]:
            if name not in self.cleaned_data or self.fields[name].disabled:
                continue
            field = Customer._meta.get_field(name)
            theirs = self.cleaned_data[name]
            theirs_key = theirs.pk if isinstance(theirs, models.Model) else theirs
            if getattr(current, field.attname) != (
                theirs_key.strip() if isinstance(theirs_key, str) else theirs_key
            ):
                shown = _visible_name(user, theirs) if name == "upstream" else format_value(field, theirs)
                found.append(Difference(field_label(name), card_value(current, name), shown))
        for custom in self.custom_fields:
            name = f"cf_{custom.key}"
            if name in self.cleaned_data and not self.fields[name].disabled:
                saved = display_value(custom, current.custom.get(custom.key))
                theirs = display_value(custom, self._custom_value(custom))
                if saved != theirs:
                    found.append(Difference(custom.label, saved, theirs))
        if "tags" in self.cleaned_data and not self.fields["tags"].disabled:
            saved = ", ".join(sorted(tag.name for tag in current.tags.all()))
            theirs = ", ".join(sorted(set(split_tags(self.cleaned_data["tags"]))))
            if saved != theirs:
                found.append(Difference(str(_("Tags")), saved, theirs))
        return found

    def _custom_value(self, field: CustomField) -> Any:
        value = self.cleaned_data.get(f"cf_{field.key}")
        # An unticked box on a card that never had the field stays unset rather than becoming "no".
        if value is False and self.initial.get(f"cf_{field.key}") is None:
            return None
        return value


def _visible_name(user: User, customer_id: int | None) -> str:
    if not customer_id:
        return ""
    found = Customer.objects.visible_to(user).filter(pk=customer_id).first()
    return str(found) if found is not None else f"#{customer_id}"


def card_initial(customer: Customer, custom_fields: list[CustomField]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(customer, Customer._meta.get_field(name).attname) for name in MODEL_FORM_FIELDS
    }
    initial["upstream"] = customer.upstream_id
    initial["version"] = customer.version
    initial["tags"] = ", ".join(tag.name for tag in customer.tags.all())
    for field in custom_fields:
        initial[f"cf_{field.key}"] = customer.custom.get(field.key)
    return initial
