"""One card of the day: its essentials, check-in and check-out, setting its position, the visit report.

Every page here finds the visit through `day_visit_get`: a visit that is not on the user's day
(or still carried from an earlier day) answers 404, even when the user could see it elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts.audit import card_view_record
from kehu.core.errors import VersionConflict
from kehu.customers.forms import apply_service_errors
from kehu.customers.views.cards import domain_errors
from kehu.field.forms.visits import (
    CardVersionForm,
    PositionForm,
    VisitReportForm,
    card_changes,
    card_changes_form,
)
from kehu.field.models import Visit, VisitStatus
from kehu.field.selectors import visits as selectors
from kehu.field.services import visits as services


def _visit(request: HttpRequest, pk: int) -> Visit:
    visit = selectors.day_visit_get(user=request.user, visit_id=pk)
    selectors.attach_briefs(user=request.user, visits=[visit])
    return visit


def _card_page(request: HttpRequest, visit: Visit, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "v": visit, "position_form": extra.pop("position_form", None) or PositionForm(),
        "offers_position": services.offers_position(visit), "far_metres": services.far_metres(), **extra,
    }
    return render(request, "field/day/visit.html", context, status=status)


@login_required
@require_GET
@domain_errors
def day_visit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    card_view_record(actor=request.user, customer=visit.customer, request=request)
    return _card_page(request, visit)


def _position_action(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    visit = _visit(request, pk)
    form = PositionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            run(actor=request.user, visit_id=visit.pk, lat=data["lat"], lng=data["lng"],
                accuracy=data["accuracy"], version=data["version"], request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except VersionConflict:
            messages.error(request, _("This visit changed on another device; here is what it is now."))
            return _card_page(request, _visit(request, pk), status=409)
        else:
            messages.success(request, done)
            return redirect("field:day-visit", pk=visit.pk)
    return _card_page(request, visit, status=400, position_form=form)


@login_required
@require_POST
@domain_errors
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _position_action(request, pk, services.visit_check_in, _("Checked in."))


@login_required
@require_POST
@domain_errors
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    return _position_action(request, pk, services.visit_check_out, _("Checked out."))


@login_required
@require_POST
@domain_errors
def set_position(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    form = CardVersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Reload the page and try again."))
        services.visit_set_card_position(actor=request.user, visit_id=visit.pk,
                                         card_version=form.cleaned_data["card_version"], request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _card_page(request, visit, status=400)
    except VersionConflict:
        messages.error(request, _("The card changed meanwhile; check it and set the position again."))
        return _card_page(request, _visit(request, pk), status=409)
    messages.success(request, _("The card's position is now where you checked in."))
    return redirect("field:day-visit", pk=visit.pk)


@login_required
@domain_errors
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the card back: the report and the card's changes, saved together or not at all."""
    visit = _visit(request, pk)
    if visit.status == VisitStatus.DONE:
        messages.info(request, _("This visit is already reported."))
        return redirect("field:day-visit", pk=visit.pk)
    if request.method != "POST":
        form = VisitReportForm(initial={
            "purpose": visit.purpose, "version": visit.version, "card_version": visit.customer.version,
            "orders_taken": visit.orders_taken or None, "money_collected": visit.money_collected or None,
        })
        card = card_changes_form(visit.customer)
        return render(request, "field/day/report.html", {"v": visit, "form": form, "card": card})
    form, card = VisitReportForm(request.POST), card_changes_form(visit.customer, request.POST)
    status = 400
    if form.is_valid() & card.is_valid():
        try:
            services.visit_report(
                actor=request.user, visit_id=visit.pk, report=form.report(), card_changes=card_changes(card),
                version=form.cleaned_data["version"], card_version=form.cleaned_data["card_version"], request=request,
            )
        except ValidationError as exc:
            _split_errors(form, card, exc)
        except VersionConflict:
            status = 409
            form.add_error(None, _("The visit or the card was changed by someone else meanwhile; nothing was "
                                   "saved. Reload to see the current card, then file the report again."))
        else:
            messages.success(request, _("Report filed; the card is handed back."))
            return redirect("field:today")
    return render(request, "field/day/report.html", {"v": visit, "form": form, "card": card}, status=status)


def _split_errors(form: Any, card: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages_ in exc.message_dict.items():
        name = key.removeprefix("card.")
        target = card if key.startswith("card.") and name in card.fields else form
        shown = name in target.fields and not target.fields[name].widget.is_hidden
        target.add_error(name if shown else None, messages_)
