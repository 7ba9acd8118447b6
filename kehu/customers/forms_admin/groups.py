"""Forms for static groups and saved segments (客户系列化)."""

from __future__ import annotations

import re
from typing import Any

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kehu.customers.filters import CustomerFilter, filter_messages, segment_value_problems
from kehu.customers.forms_admin.base import ServiceErrorsMixin
from kehu.customers.models import GroupKind

# Parameters of the customer list that page through it rather than filter it.
PAGING_PARAMS = frozenset({"cursor", "page", "page_size", "from"})
CODE_SEPARATORS = re.compile(r"[\s,，;；、]+")
MAX_CODES = 500
MAX_ID = 2**63 - 1


def _is_multi_valued(name: str) -> bool:
    return isinstance(CustomerFilter.base_filters.get(name), df.MultipleChoiceFilter)


def query_to_filters(query: str) -> dict[str, Any]:
    """The customer list's query string (or a whole list URL) as a segment's stored filter."""
    text = query.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    params = QueryDict(text.lstrip("&"))
    filters: dict[str, Any] = {}
    for name in params:
        values = [value.strip() for value in params.getlist(name) if value.strip()]
        if name in PAGING_PARAMS or not values:
            continue
        filters[name] = values if _is_multi_valued(name) else values[-1]
    return filters


def filters_to_query(filters: dict[str, Any]) -> str:
    params = QueryDict(mutable=True)
    for name, value in (filters.items() if isinstance(filters, dict) else ()):
        values = value if isinstance(value, (list, tuple)) else [value]
        params.setlist(name, [str(v).lower() if isinstance(v, bool) else str(v) for v in values])
    return params.urlencode()


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices, initial=GroupKind.STATIC)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    query = forms.CharField(
        label=_("Filter"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Saved segments only: the customer list's filter as a query string, for example "
            "status=active&tier=A, or the whole address of a filtered customer list."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        filters = query_to_filters(data.get("query") or "")
        data["filters"] = filters
        if data.get("kind") == GroupKind.SEGMENT and not filters:
            self.add_error("query", _("A saved segment needs a filter, for example status=active."))
        if data.get("kind") == GroupKind.SEGMENT and "group" in filters:
            self.add_error(
                "query", _("A segment cannot be built on another group; filter by the cards' own fields.")
            )
        elif data.get("kind") == GroupKind.STATIC and filters:
            self.add_error("query", _("A static group has no filter: clear it, or choose “Saved segment”."))
        elif filters:
            for problem in segment_value_problems(filters):
                self.add_error("query", problem)
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"], "description": data["description"],
                "filters": data["filters"]}

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's {field: messages} on the form; filter errors land on the filter box."""
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, messages in errors.items():
            if key.partition(".")[0] == "filters":
                self.add_error("query", filter_messages({key: messages}))
            else:
                self.add_error(key if key in self.fields else None, messages)


class MemberCodesForm(ServiceErrorsMixin, forms.Form):
    codes = forms.CharField(
        label=_("Card codes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or more card codes, separated by commas or spaces."),
    )

    def clean_codes(self) -> list[str]:
        codes = list(dict.fromkeys(c for c in CODE_SEPARATORS.split(self.cleaned_data["codes"]) if c))
        if not codes:
            raise ValidationError(_("Enter at least one card code."))
        if len(codes) > MAX_CODES:
            raise ValidationError(_("Add at most %(max)d cards at a time.") % {"max": MAX_CODES})
        return codes


class IdListField(forms.Field):
    """Several ids from ticked checkboxes."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        try:
            ids = list(dict.fromkeys(int(v) for v in values))
        except (TypeError, ValueError):
            ids = [0]
        if not all(1 <= pk <= MAX_ID for pk in ids):
            raise ValidationError(_("Choose cards from the list."), code="invalid")
        return ids


class MemberRemoveForm(ServiceErrorsMixin, forms.Form):
    customer = IdListField(
        label=_("Cards"), error_messages={"required": _("Tick at least one card to remove.")}
    )
