"""Receivables pages: overview (ageing, DSO), overdue list, the week's collections, sales vs collections,
payments with allocation by hand, credit notes and refunds. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.core.pagination import keyset_page, page_links
from kehu.customers.forms import apply_service_errors
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get
from kehu.customers.views.cards import domain_errors
from kehu.sales.forms.receivables import (
    AllocationForm,
    BalanceFilterForm,
    CollectionForm,
    PaymentForm,
    RefundForm,
    VoidForm,
)
from kehu.sales.models import PaymentKind
from kehu.sales.selectors import receivables as rx
from kehu.sales.services import collections as coll
from kehu.sales.services import receivables as money
from kehu.sales.services import refunds

PAGE_SIZE = 50


def _customer_from_query(request: HttpRequest) -> Customer:
    return customer_get(user=request.user, customer_id=request.GET.get("customer") or request.POST.get("customer"))


def _card_tab(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id]) + "?tab=receivables"


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def receivables_overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    by_rep, by_unit = rx.receivable_ageing_by_rep_and_unit(user=request.user, on=today)
    context = {
        "today": today, "by_rep": by_rep, "by_unit": by_unit,
        "dso": rx.dso(user=request.user, days=90, on=today, receivables=by_rep.total.total),
        "labels": [rx.BUCKET_LABELS[name] for name in rx.BUCKETS],
        "can_see_balance": rx.can_see_balance(request.user),
    }
    return render(request, "sales/receivables/overview.html", context)


@login_required
@require_GET
def overdue_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = rx.overdue_orders(user=request.user, on=today)
    page = keyset_page(rows, ordering="due_date", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    for order in page.rows:
        order.days_overdue = (today - order.due_date).days
    return render(request, "sales/receivables/overdue.html", {"page": page, "today": today, **page_links(request, page)})


@login_required
@require_GET
@domain_errors
def collections_week(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    week_start = rx.week_start_of(_day(request.GET.get("week")) or today)
    people = list(rx.collectors_visible(user).order_by("username")[:500])
    rep = user
    if request.GET.get("rep"):
        rep = next((p for p in people if str(p.pk) == request.GET["rep"]), None)
        if rep is None:
            raise NotFound
    rows = rx.collections_week(user=user, rep=rep, week_start=week_start, today=today)
    context = {
        "rows": rows, "rep": rep, "people": people if len(people) > 1 else [], "week_start": week_start,
        "previous_week": week_start.fromordinal(week_start.toordinal() - 7),
        "next_week": week_start.fromordinal(week_start.toordinal() + 7),
        "total": sum((r.amount for r in rows), money.ZERO),
        "reminders": [r for r in rows if r.is_reminder], "today": today,
        "remind_days": coll.remind_days(),
    }
    return render(request, "sales/receivables/collections.html", context)


@login_required
@domain_errors
def collection_new(request: HttpRequest) -> HttpResponse:
    customer = _customer_from_query(request)
    if not scope.can_record_money(request.user, customer):
        raise Forbidden(_("You may not plan collections for this customer."))
    people = rx.collection_candidates(customer=customer)
    if request.method != "POST":
        form = CollectionForm(people=people, initial={"due_on": timezone.localdate(), "responsible": customer.owner_id})
        return render(request, "sales/receivables/collection_form.html", {"form": form, "customer": customer})
    form = CollectionForm(request.POST, people=people)
    if form.is_valid():
        try:
            coll.collection_create(actor=request.user, customer=customer, request=request, **form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Collection planned."))
            return redirect(_card_tab(customer.pk))
    return render(request, "sales/receivables/collection_form.html", {"form": form, "customer": customer}, status=400)


@login_required
@domain_errors
def collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    collection = rx.collection_get(user=request.user, collection_id=pk)
    customer = collection.customer
    if not scope.can_record_money(request.user, customer):
        raise Forbidden(_("You may not change this customer's collection plan."))
    people = rx.collection_candidates(customer=customer)
    context: dict[str, Any] = {"customer": customer, "collection": collection}
    if request.method != "POST":
        initial = {"due_on": collection.due_on, "amount": collection.amount, "responsible": collection.responsible_id,
                   "note": collection.note, "version": collection.version}
        form = CollectionForm(initial=initial, people=people)
        return render(request, "sales/receivables/collection_form.html", {**context, "form": form})
    form = CollectionForm(request.POST, people=people)
    status = 400
    if form.is_valid():
        try:
            coll.collection_update(actor=request.user, collection_id=pk, data=form.service_data(),
                                   version=form.cleaned_data.get("version"), request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except VersionConflict as exc:
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form = CollectionForm(data, people=people)
            form.is_valid()
            context.update(conflict=True, collection=exc.current)
            status = 409
        else:
            messages.success(request, _("Planned collection saved."))
            return redirect(reverse("sales:collections"))
    return render(request, "sales/receivables/collection_form.html", {**context, "form": form}, status=status)


@login_required
@require_POST
@domain_errors
def collection_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        coll.collection_cancel(actor=request.user, collection_id=pk, version=request.POST.get("version"), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except VersionConflict:
        messages.error(request, _("Someone else changed this collection; look again before cancelling it."))
    else:
        messages.success(request, _("Planned collection cancelled."))
    return redirect(reverse("sales:collections"))


@login_required
@require_GET
@domain_errors
def balance(request: HttpRequest) -> HttpResponse:
    if not rx.can_see_balance(request.user):
        raise Forbidden(_("The sales-vs-collections balance is for managers, finance and the director."))
    form = BalanceFilterForm(request.GET)
    form.is_valid()
    group_by = form.cleaned_data.get("group_by") or "rep"
    months = form.cleaned_data.get("months") or 12
    rows = rx.sales_collections_balance(user=request.user, group_by=group_by, months=months)
    window = rx.months_back(timezone.localdate(), months)
    return render(request, "sales/receivables/balance.html",
                  {"form": form, "rows": rows, "window": window, "group_by": group_by})


# --- payments --------------------------------------------------------------------------------


@login_required
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    rows = rx.payment_queryset(user=request.user)
    page = keyset_page(rows, ordering="-date", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "sales/receivables/payments.html", {"page": page, **page_links(request, page)})


KIND_PAGES = {
    PaymentKind.PAYMENT: (_("Record a payment"), "sales/receivables/payment_form.html"),
    PaymentKind.CREDIT_NOTE: (_("Issue a credit note"), "sales/receivables/payment_form.html"),
    PaymentKind.REFUND: (_("Refund credit"), "sales/receivables/payment_form.html"),
}


def _money_form(request: HttpRequest, kind: str) -> HttpResponse:
    customer = _customer_from_query(request)
    allowed = scope.can_record_money(request.user, customer) if kind == PaymentKind.PAYMENT else (
        scope.can_issue_credit_notes(request.user) and not customer.is_archived
    )
    if not allowed:
        raise Forbidden(_("You may not do this for this customer."))
    orders = [] if kind == PaymentKind.REFUND else rx.allocatable_orders(user=request.user, customer_id=customer.pk)
    data = request.POST if request.method == "POST" else None
    if kind == PaymentKind.REFUND:
        form: Any = RefundForm(data)
    else:
        form = PaymentForm(data, orders=orders, with_method=kind == PaymentKind.PAYMENT)
    title, template = KIND_PAGES[kind]
    context = {"form": form, "customer": customer, "kind": kind, "title": title, "orders": orders,
               "credit": money.customer_credit(customer.pk)}
    if data is None:
        return render(request, template, context)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ("amount", "date", "reference", "note")}
        try:
            payment = money.payment_record(
                actor=request.user, customer=customer, kind=kind, request=request,
                method=form.cleaned_data.get("method") or "other",
                allocate="none" if kind == PaymentKind.REFUND else form.allocate_value(), **fields,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(what)s.") % {"what": payment})
            return redirect(reverse("sales:payment-detail", args=[payment.pk]))
    return render(request, template, context, status=400)


@login_required
@domain_errors
def payment_new(request: HttpRequest) -> HttpResponse:
    return _money_form(request, PaymentKind.PAYMENT)


@login_required
@domain_errors
def credit_note_new(request: HttpRequest) -> HttpResponse:
    return _money_form(request, PaymentKind.CREDIT_NOTE)


@login_required
@domain_errors
def refund_new(request: HttpRequest) -> HttpResponse:
    return _money_form(request, PaymentKind.REFUND)


def _may_change(user: User, payment: Any) -> bool:
    if payment.kind == PaymentKind.PAYMENT:
        return scope.can_record_money(user, payment.customer)
    return scope.can_issue_credit_notes(user) and not payment.customer.is_archived


def _detail(request: HttpRequest, pk: int, status: int = 200, **forms: Any) -> HttpResponse:
    payment = rx.payment_get(user=request.user, payment_id=pk)
    may_change = _may_change(request.user, payment)
    orders = rx.allocatable_orders(user=request.user, customer_id=payment.customer_id) if may_change else []
    context = {
        "payment": payment, "may_change": may_change,
        "allocation_form": forms.get("allocation_form") or AllocationForm(orders=orders),
        "void_form": forms.get("void_form") or VoidForm(), "orders": orders,
        "can_allocate": may_change and payment.kind != PaymentKind.REFUND and payment.unallocated > 0 and orders,
    }
    return render(request, "sales/receivables/payment_detail.html", context, status=status)


@login_required
@require_GET
@domain_errors
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@login_required
@require_POST
@domain_errors
def allocation_add(request: HttpRequest, pk: int) -> HttpResponse:
    payment = rx.payment_get(user=request.user, payment_id=pk)
    orders = rx.allocatable_orders(user=request.user, customer_id=payment.customer_id)
    form = AllocationForm(request.POST, orders=orders)
    if form.is_valid():
        try:
            money.allocation_create(actor=request.user, payment_id=payment.pk, order_id=form.cleaned_data["order"],
                                    amount=form.cleaned_data["amount"], request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Allocated."))
            return redirect(reverse("sales:payment-detail", args=[payment.pk]))
    return _detail(request, pk, status=400, allocation_form=form)


@login_required
@require_POST
@domain_errors
def allocation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    order = money.allocation_delete(actor=request.user, allocation_id=pk, request=request)
    messages.success(request, _("Allocation taken back; order %(number)s is open again.") % {"number": order.number})
    target = request.POST.get("payment")
    back = reverse("sales:payment-detail", args=[int(target)]) if target and target.isdigit() else reverse("sales:payments")
    return redirect(back)


@login_required
@require_POST
@domain_errors
def payment_void(request: HttpRequest, pk: int) -> HttpResponse:
    payment = rx.payment_get(user=request.user, payment_id=pk)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            refunds.payment_void(actor=request.user, payment_id=pk, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Voided."))
            return redirect(_card_tab(payment.customer_id))
    return _detail(request, pk, status=400, void_form=form)

