"""The custodians' duplicates report: pairs of cards that are probably one business, most certain first."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kehu.accounts import scope
from kehu.customers.dedupe import duplicate_pairs
from kehu.customers.views.cards import forbidden

DEFAULT_MIN_SCORE = 85
PAIR_LIMIT = 500


class ReportForm(forms.Form):
    min_score = forms.IntegerField(label=gettext_lazy("Minimum score"), min_value=70, max_value=100, required=False)


@login_required
@require_GET
def duplicate_report(request: HttpRequest) -> HttpResponse:
    # Custodians and admins keep the base clean; scope has no narrower predicate than can_restore.
    if not scope.can_restore(request.user):
        return forbidden(request, _("Only a custodian or an administrator can review duplicates."))
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "customers/duplicates.html", {"form": form, "pairs": []}, status=400)
    min_score = form.cleaned_data["min_score"] or DEFAULT_MIN_SCORE
    pairs = duplicate_pairs(user=request.user, min_score=min_score, limit=PAIR_LIMIT)
    context = {"form": form, "min_score": min_score, "pairs": pairs, "truncated": len(pairs) == PAIR_LIMIT}
    return render(request, "customers/duplicates.html", context)
