"""Forms for card loans (借阅): asking for a card, deciding a request, revoking a loan.

The limits (days, reason length) are the lending service's; the forms only read the input.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kehu.customers.forms_admin.base import ServiceErrorsMixin


def _days_field(*, required: bool, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Days"), required=required, help_text=help_text,
        widget=forms.NumberInput(attrs={"min": 1, "max": settings.KEHU_GRANT_MAX_DAYS}),
    )


class GrantRequestForm(ServiceErrorsMixin, forms.Form):
    customer_code = forms.CharField(label=_("Card code"), max_length=32)
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"] = _days_field(
            required=True,
            help_text=_("1 to %(max)d days.") % {"max": settings.KEHU_GRANT_MAX_DAYS},
        )
        self.fields["days"].initial = 7


class Decision:
    APPROVE = "approve"
    REFUSE = "refuse"


class GrantDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(Decision.APPROVE, _("Approve")), (Decision.REFUSE, _("Refuse"))],
        error_messages={"required": _("Choose approve or refuse.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"] = _days_field(
            required=False, help_text=_("Leave empty to lend for the days asked for."),
        )

    @property
    def approves(self) -> bool:
        return self.cleaned_data["decision"] == Decision.APPROVE


class GrantRevokeForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
