"""Forms of the credit pages: a decision on a hold, and the policy/lifecycle settings table.

They only read the input; the limits and rules are the credit services' (errors come back from
them onto the fields with `add_service_errors`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.forms_admin.base import ServiceErrorsMixin
from kehu.sales.models import CreditPolicy, LifecycleRule


class Decision:
    APPROVE = "approve"
    REJECT = "reject"


class HoldDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(Decision.APPROVE, _("Approve")), (Decision.REJECT, _("Reject"))],
        error_messages={"required": _("Choose approve or reject.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Why (required)")}))
    one_off_raise = forms.DecimalField(
        label=_("One-off raise"), required=False, min_value=0, max_digits=14, decimal_places=2,
        help_text=_("Approve only: how much above the limit this order may go (this order only)."),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

    @property
    def approves(self) -> bool:
        return self.cleaned_data["decision"] == Decision.APPROVE


def _limit_field(policy: CreditPolicy) -> forms.DecimalField:
    return forms.DecimalField(
        label=policy.get_rating_display(), min_value=0, max_digits=14, decimal_places=2, initial=policy.default_limit,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class CreditSettingsForm(ServiceErrorsMixin, forms.Form):
    """One row per credit rating (default limit, overdue tolerance) and per tier (dormant after N days)."""

    def __init__(self, *args: Any, policies: list[CreditPolicy], rules: list[LifecycleRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policies, self.rules = policies, rules
        for policy in policies:
            self.fields[f"limit_{policy.pk}"] = _limit_field(policy)
            self.fields[f"overdue_{policy.pk}"] = forms.IntegerField(
                label=_("Overdue days allowed"), min_value=0, max_value=3650, initial=policy.max_overdue_days,
                widget=forms.NumberInput(attrs={"min": "0", "max": "3650"}),
            )
        for rule in rules:
            self.fields[f"dormant_{rule.pk}"] = forms.IntegerField(
                label=rule.tier, min_value=1, max_value=3650, initial=rule.dormant_after_days,
                widget=forms.NumberInput(attrs={"min": "1", "max": "3650"}),
            )

    def policy_rows(self) -> list[tuple[CreditPolicy, Any, Any]]:
        return [(p, self[f"limit_{p.pk}"], self[f"overdue_{p.pk}"]) for p in self.policies]

    def rule_rows(self) -> list[tuple[LifecycleRule, Any]]:
        return [(r, self[f"dormant_{r.pk}"]) for r in self.rules]

    def policy_values(self) -> dict[int, tuple[Any, Any]]:
        data = self.cleaned_data
        return {p.pk: (data[f"limit_{p.pk}"], data[f"overdue_{p.pk}"]) for p in self.policies}

    def rule_values(self) -> dict[int, Any]:
        return {r.pk: self.cleaned_data[f"dormant_{r.pk}"] for r in self.rules}
