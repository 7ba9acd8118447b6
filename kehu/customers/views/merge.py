"""The merge wizard: pick a second card, choose the surviving value of each differing field, confirm.

Thin: merge_selectors read, customer_merge writes; this module parses and renders.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import scope
from kehu.core.errors import Forbidden, VersionConflict
from kehu.customers import selectors
from kehu.customers.dedupe import likely_duplicates
from kehu.customers.merge_selectors import (
    MERGED,
    SURVIVOR,
    FieldDifference,
    merge_candidate_by_code,
    merge_differences,
    merge_moves,
)
from kehu.customers.models import Customer
from kehu.customers.services import customer_merge, merge_check
from kehu.customers.views.cards import domain_errors, forbidden

NOT_ALLOWED = gettext_lazy("Only a custodian or an administrator can merge cards.")


class PickForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code of the other card"), max_length=32)


class MergeForm(forms.Form):
    """Both versions, and one survivor/merged radio per differing field (named choice_<field>)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    merged_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args: Any, differences: list[FieldDifference], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for diff in differences:
            self.fields[f"choice_{diff.name}"] = forms.ChoiceField(
                label=diff.label, choices=[(SURVIVOR, SURVIVOR), (MERGED, MERGED)], initial=diff.default,
                widget=forms.RadioSelect, required=False,  # left out: the default pick
            )

    def choices(self) -> dict[str, str]:
        return {
            name.removeprefix("choice_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("choice_") and value
        }


@login_required
@domain_errors
def merge_pick(request: HttpRequest, pk: int) -> HttpResponse:
    """From a card page: "Merge with…" another card, found by its code; this card survives."""
    customer = selectors.customer_get(user=request.user, customer_id=pk)  # invisible: 404 before 403
    if not scope.can_merge(request.user):
        return forbidden(request, str(NOT_ALLOWED))
    form = PickForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        other = merge_candidate_by_code(user=request.user, code=form.cleaned_data["code"])
        if other is not None:
            return redirect("customers:merge", pk=customer.pk, merged_pk=other.pk)
        form.add_error("code", _("No card you can see has this code."))
    status = 400 if form.is_bound else 200
    # The cards the duplicate finder would flag for this one, as one-click choices.
    suggestions = likely_duplicates(user=request.user, data=vars(customer), exclude_id=customer.pk)
    context = {"customer": customer, "form": form, "suggestions": suggestions}
    return render(request, "customers/merge_pick.html", context, status=status)


@login_required
@domain_errors
def merge_wizard(request: HttpRequest, pk: int, merged_pk: int) -> HttpResponse:
    """GET: both cards side by side, the differing fields with radios; POST: merge."""
    user = request.user
    survivor = selectors.customer_get(user=user, customer_id=pk)  # invisible: 404 before 403
    merged = selectors.customer_get(user=user, customer_id=merged_pk)
    if not scope.can_merge(user):
        return forbidden(request, str(NOT_ALLOWED))
    try:
        merge_check(user, survivor=survivor, merged=merged)
    except ValidationError as exc:
        return _page(request, survivor, merged, None, status=400, refusals=exc.messages)
    except Forbidden as exc:
        return forbidden(request, exc.message)
    differences = merge_differences(survivor, merged)
    initial = {"version": survivor.version, "merged_version": merged.version}
    if request.method != "POST":
        return _page(request, survivor, merged, MergeForm(initial=initial, differences=differences))
    form = MergeForm(request.POST, differences=differences)
    if not form.is_valid():
        return _page(request, survivor, merged, form, status=400)
    try:
        customer_merge(
            user, survivor=survivor, merged=merged, choices=form.choices(), request=request,
            survivor_version=form.cleaned_data["version"], merged_version=form.cleaned_data["merged_version"],
        )
    except VersionConflict:
        # Someone saved one of the cards meanwhile: show the current values with the new versions.
        survivor = selectors.customer_get(user=user, customer_id=pk)
        merged = selectors.customer_get(user=user, customer_id=merged_pk)
        fresh = MergeForm(
            initial={"version": survivor.version, "merged_version": merged.version},
            differences=merge_differences(survivor, merged),
        )
        return _page(request, survivor, merged, fresh, status=409, conflict=True)
    except ValidationError as exc:
        return _page(request, survivor, merged, form, status=400, refusals=exc.messages)
    messages.success(request, _("%(code)s was merged into this card.") % {"code": merged.code})
    return redirect("customers:detail", pk=survivor.pk)


def _page(
    request: HttpRequest, survivor: Customer, merged: Customer, form: MergeForm | None, status: int = 200,
    **extra: Any,
) -> HttpResponse:
    rows = []
    if form is not None:
        for diff in merge_differences(survivor, merged):
            rows.append({"diff": diff, "field": form[f"choice_{diff.name}"]})
    context = {
        "survivor": survivor,
        "merged": merged,
        "form": form,
        "rows": rows,
        "moves": merge_moves(merged) if form is not None else [],
        "swap_url": reverse("customers:merge", kwargs={"pk": merged.pk, "merged_pk": survivor.pk}),
        **extra,
    }
    return render(request, "customers/merge.html", context, status=status)
