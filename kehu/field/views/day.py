"""The rep's day: today's route and cards, adding an ad-hoc visit, the printable visit pack, and the
reviewers' list of unreturned visits. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction
from kehu.core.errors import Forbidden
from kehu.core.pdf import PdfUnavailable, render_pdf
from kehu.customers.views.cards import domain_errors
from kehu.field.forms.visits import AdHocVisitForm
from kehu.field.selectors import visits as selectors
from kehu.field.services import visits as services


def _field_worker(request: HttpRequest) -> None:
    if not scope.works_in_field(request.user):
        raise Forbidden(_("Only sales reps and managers have a day of visits."))


@login_required
@require_GET
@domain_errors
def today(request: HttpRequest) -> HttpResponse:
    _field_worker(request)
    day = selectors.day_from(request.GET.get("day"))
    today_, tomorrow = selectors.day_choices()
    d = selectors.rep_day(user=request.user, day=day)
    # The day shows several cards at once: one audit row names them all.
    audit_record(actor=request.user, action=AuditAction.VIEW, request=request, detail={
        "what": "day", "day": f"{day:%Y-%m-%d}", "customers": [v.customer_id for v in d.all_visits],
    })
    context = {
        "d": d, "today": today_, "tomorrow": tomorrow, "is_today": day == today_, "far_metres": services.far_metres(),
    }
    return render(request, "field/day/today.html", context)


@login_required
@domain_errors
def add_visit(request: HttpRequest) -> HttpResponse:
    """An ad-hoc visit today: find one of your cards by name, code or pinyin and put it on today's list."""
    _field_worker(request)
    form = AdHocVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_create(actor=request.user, customer_id=form.cleaned_data["customer"],
                                          request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s is on today's list.") % {"name": visit.customer.name})
            return redirect("field:day-visit", pk=visit.pk)
    q = request.GET.get("q", "")
    cards = selectors.visitable_cards(user=request.user, q=q)
    status = 400 if request.method == "POST" else 200
    return render(request, "field/day/add.html", {"q": q, "cards": cards, "form": form}, status=status)


@login_required
@require_GET
@domain_errors
def visit_pack(request: HttpRequest) -> HttpResponse:
    """The day printed: the route drawn from the cards' positions, the stop list, one section per card."""
    _field_worker(request)
    day = selectors.day_from(request.GET.get("day"))
    d = selectors.rep_day(user=request.user, day=day)
    context = {"d": d, "rep": request.user, "printed_at": timezone.localtime()}
    try:
        pdf = render_pdf("field/day/pack.html", context, request)
    except PdfUnavailable:
        return HttpResponse(_("PDF printing is not available on this server (WeasyPrint or Pango is missing)."),
                            status=503, content_type="text/plain; charset=utf-8")
    audit_record(actor=request.user, action=AuditAction.PRINT, request=request, detail={
        "what": "visit_pack", "day": f"{day:%Y-%m-%d}", "customers": [v.customer_id for v in d.all_visits],
    })
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="visit-pack-{day:%Y-%m-%d}.pdf"'
    return response


@login_required
@require_GET
@domain_errors
def unreturned(request: HttpRequest) -> HttpResponse:
    if not scope.can_review_field_work(request.user):
        raise Forbidden(_("Only managers see the team's unreturned visits."))
    groups = selectors.unreturned_by_rep(user=request.user)
    return render(request, "field/day/unreturned.html", {"groups": groups, "today": timezone.localdate()})
