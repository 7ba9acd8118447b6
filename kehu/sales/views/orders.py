"""Order pages: list (filters, bulk confirm), new/edit with the keyboard entry grid, detail, actions.

Thin adapters: `kehu.sales.selectors.orders` reads for the asking user, `kehu.sales.services.orders`
writes; the forms parse and preview (prices, amounts, total) so the pages work without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts import scope
from kehu.accounts.models import Role, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.core.pagination import capped_count, keyset_page, page_links
from kehu.customers.models import Customer
from kehu.customers.views.cards import domain_errors, is_htmx
from kehu.sales.forms.orders import (
    MORE_LINES,
    ActionForm,
    LineGrid,
    OrderFilterForm,
    OrderHeadForm,
    customer_choices_for_orders,
)
from kehu.sales.models import CreditHold, Order, OrderStatus, Settlement
from kehu.sales.selectors.credit import hold_reason_text
from kehu.sales.selectors.orders import order_get, order_list
from kehu.sales.selectors.sales_tab import card_orders
from kehu.sales.services.orders import (
    HABIT_SETTLEMENT,
    LineInput,
    order_cancel,
    order_confirm,
    order_copy,
    order_create,
    order_deliver,
    order_update,
    orders_confirm_bulk,
)
from kehu.sales.tabs.sales import order_records_html

PAGE_SIZE = 50
BULK_MAX = 200


def _customer(user: User, value: Any) -> Customer:
    """A card the user can see, by id (hidden or missing: NotFound)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound from None
    found = (
        Customer.objects.visible_to(user).select_related("org_unit").filter(pk=pk).first() if 0 < pk < 2**63 else None
    )
    if found is None:
        raise NotFound
    return found


def _may_take_orders(user: User, customer: Customer) -> None:
    if not scope.can_take_orders(user, customer):
        raise Forbidden(_("You may not take orders for this customer."))


# --- list -----------------------------------------------------------------------------------------


def _reps(user: User) -> Any:
    reps = User.objects.filter(role__in=(Role.REP, Role.MANAGER), is_active=True).order_by("display_name", "id")
    q = scope.users_visible_q(user)
    return reps if q is None else reps.filter(q)


@login_required
@require_GET
def order_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = OrderFilterForm(request.GET or None, reps=_reps(user))
    filters = form.filters()
    rows = order_list(user=user, filters=filters).select_related("customer", "rep")
    page = keyset_page(rows, ordering="-order_date", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    total = capped_count(rows)
    customer = None
    if "customer" in filters:
        customer = Customer.objects.visible_to(user).filter(pk=filters["customer"]).only("pk", "code", "name").first()
    context = {
        "form": form,
        "page": page,
        **page_links(request, page),
        "total": total.value,
        "total_capped": total.capped,
        "filter_customer": customer,
        "may_bulk_confirm": user.role in scope.SELL_ROLES,
        "may_import": user.role in scope.SELL_ROLES and user.is_active,
    }
    template = "sales/orders/list_results.html" if is_htmx(request) else "sales/orders/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def order_confirm_bulk_view(request: HttpRequest) -> HttpResponse:
    """Confirm the selected drafts through the credit check, all or nothing."""
    user = request.user
    ids = [int(v) for v in request.POST.getlist("order") if v.isdigit() and int(v) < 2**63][:BULK_MAX]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("sales:orders")
    orders = list(order_list(user=user, filters={}).filter(pk__in=ids).select_related("customer"))
    if not orders:
        messages.error(request, _("Select the draft orders to confirm."))
        return redirect(back)
    try:
        done = orders_confirm_bulk(actor=user, orders=orders)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        messages.error(request, _("Nothing was confirmed."))
        return redirect(back)
    except (Forbidden, NotFound):
        messages.error(request, _("You may not confirm some of the selected orders; nothing was confirmed."))
        return redirect(back)
    held = [o.number for o in done if o.status == OrderStatus.HELD]
    confirmed = len(done) - len(held)
    messages.success(request, _("%(n)d orders confirmed.") % {"n": confirmed})
    if held:
        messages.warning(request, _("On credit hold, waiting for finance: %(numbers)s.") % {"numbers": ", ".join(held)})
    return redirect(back)


# --- entry ----------------------------------------------------------------------------------------


def _entry_context(customer: Customer, head: OrderHeadForm, grid: LineGrid, order: Order | None = None,
                   **extra: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "form": head,
        "grid": grid,
        "order": order,
        "head_errors": extra.pop("head_errors", []),
        "autocomplete_url": _autocomplete_url(),
        **extra,
    }


def _autocomplete_url() -> str:
    try:
        return reverse("sales:product-autocomplete")
    except NoReverseMatch:  # the catalogue pages are not installed: the grid works without suggestions
        return ""


def _line_inputs(cleaned: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(product_id=v["product"].pk, quantity=v["quantity"], unit_price=v["unit_price"],
                  discount=v["discount"] or 0, spec=v["spec"])
        for v in cleaned
    ]


def _parse_entry(request: HttpRequest, customer: Customer) -> tuple[OrderHeadForm, LineGrid, list[dict[str, Any]]]:
    more = MORE_LINES if "add_lines" in request.POST else 0
    head = OrderHeadForm(request.POST)
    grid = LineGrid.from_post(request.POST, customer.channel_level, more=more)
    cleaned = grid.clean()
    head.is_valid()
    return head, grid, cleaned


def _apply_errors(head: OrderHeadForm, grid: LineGrid, exc: ValidationError) -> list[str]:
    """A service's errors onto the head form and the grid; what belongs nowhere is returned."""
    rest: list[str] = []
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    for key, found in exc.message_dict.items():
        if key in head.fields and key != "version":
            head.add_error(key, found)
        elif key.startswith("lines"):
            grid.apply_line_messages(found)
        else:
            rest.extend(found)
    return rest


def _is_preview(request: HttpRequest) -> bool:
    return "recalculate" in request.POST or "add_lines" in request.POST


@login_required
@domain_errors
def order_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    value = request.POST.get("customer") if request.method == "POST" else request.GET.get("customer")
    if not value:
        q = request.GET.get("q", "")[:100]
        found = [c for c in customer_choices_for_orders(user, q) if scope.can_take_orders(user, c)]
        return render(request, "sales/orders/choose_customer.html", {"q": q, "found": found})
    customer = _customer(user, value)
    _may_take_orders(user, customer)
    if request.method != "POST":
        head = OrderHeadForm(initial={"order_date": timezone.localdate(), "settlement": _default_settlement(customer)})
        return render(request, "sales/orders/form.html", _entry_context(customer, head, LineGrid.blank(customer.channel_level)))
    head, grid, cleaned = _parse_entry(request, customer)
    if _is_preview(request):
        return render(request, "sales/orders/form.html", _entry_context(customer, head, grid, autofocus=True))
    if head.is_valid() and grid.is_valid:
        try:
            order = order_create(actor=user, customer=customer, lines=_line_inputs(cleaned),
                                 **head.service_data(), confirm="confirm" in request.POST)
        except ValidationError as exc:
            rest = _apply_errors(head, grid, exc)
        else:
            _saved_message(request, order, created=True)
            return redirect("sales:order-detail", pk=order.pk)
    else:
        rest = []
    return render(request, "sales/orders/form.html", _entry_context(customer, head, grid, head_errors=rest), status=400)


def _default_settlement(customer: Customer) -> str:
    return HABIT_SETTLEMENT.get(customer.payment_habit, Settlement.CREDIT)


def _saved_message(request: HttpRequest, order: Order, *, created: bool = False) -> None:
    if order.status == OrderStatus.HELD:
        messages.warning(request, _("Order %(number)s is on credit hold — waiting for finance.") % {"number": order.number})
    elif order.status == OrderStatus.CONFIRMED:
        messages.success(request, _("Order %(number)s confirmed.") % {"number": order.number})
    elif created:
        messages.success(request, _("Order %(number)s saved as a draft.") % {"number": order.number})
    else:
        messages.success(request, _("Order %(number)s saved.") % {"number": order.number})


@login_required
@domain_errors
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    order = order_get(user=user, order_id=pk)
    customer = order.customer
    _may_take_orders(user, customer)
    if not order.is_editable:
        messages.error(request, _("Only a draft can be edited; order %(number)s is %(status)s.")
                       % {"number": order.number, "status": order.get_status_display()})
        return redirect("sales:order-detail", pk=order.pk)
    if request.method != "POST":
        head = OrderHeadForm(initial={"order_date": order.order_date, "settlement": order.settlement,
                                      "note": order.note, "version": order.version})
        grid = LineGrid.from_order(order, customer.channel_level)
        return render(request, "sales/orders/form.html", _entry_context(customer, head, grid, order))
    head, grid, cleaned = _parse_entry(request, customer)
    if _is_preview(request):
        return render(request, "sales/orders/form.html", _entry_context(customer, head, grid, order, autofocus=True))
    rest: list[str] = []
    if head.is_valid() and grid.is_valid:
        try:
            with transaction.atomic():  # "Save and confirm": both or neither
                saved = order_update(actor=user, order=order, version=head.cleaned_data.get("version"),
                                     data=head.service_data(), lines=_line_inputs(cleaned))
                if "confirm" in request.POST:
                    saved = order_confirm(actor=user, order=saved, version=saved.version)
        except VersionConflict as exc:
            return _edit_conflict(request, customer, head, grid, exc.current)
        except ValidationError as exc:
            rest = _apply_errors(head, grid, exc)
        else:
            _saved_message(request, saved)
            return redirect("sales:order-detail", pk=saved.pk)
    return render(request, "sales/orders/form.html", _entry_context(customer, head, grid, order, head_errors=rest),
                  status=400)


def _edit_conflict(request: HttpRequest, customer: Customer, head: OrderHeadForm, grid: LineGrid,
                   current: Order) -> HttpResponse:
    """Someone saved first: keep what was typed, show the saved order, arm the form with its version."""
    current = order_get(user=request.user, order_id=current.pk)
    data = request.POST.copy()
    data["version"] = str(current.version)
    rearmed = OrderHeadForm(data)
    rearmed.is_valid()
    context = _entry_context(customer, rearmed, grid, current, conflict=True, current=current,
                             current_lines=list(current.lines.all()))
    return render(request, "sales/orders/form.html", context, status=409)


# --- detail and actions ---------------------------------------------------------------------------


def _detail_context(user: User, order: Order, **extra: Any) -> dict[str, Any]:
    hold = CreditHold.objects.filter(order=order).select_related("decided_by").order_by("-created_at", "-id").first()
    may_act = scope.can_take_orders(user, order.customer)
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "hold": hold,
        "hold_reasons": [hold_reason_text(r) for r in (hold.reasons if hold else [])],
        "may_edit": may_act and order.status == OrderStatus.DRAFT,
        "may_confirm": may_act and order.status == OrderStatus.DRAFT,
        "may_deliver": may_act and order.status == OrderStatus.CONFIRMED,
        "may_cancel": may_act and order.status in (OrderStatus.DRAFT, OrderStatus.HELD, OrderStatus.CONFIRMED),
        "may_copy": may_act,
        "may_decide_credit": order.status == OrderStatus.HELD and scope.can_decide_credit(user, order.customer),
        "action_form": ActionForm(initial={"version": order.version}),
        **extra,
    }


@login_required
@require_GET
@domain_errors
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_get(user=request.user, order_id=pk)
    return render(request, "sales/orders/detail.html", _detail_context(request.user, order))


def _action(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    """Run one status change with the version the page was shown with; errors re-render the page."""
    user = request.user
    order = order_get(user=user, order_id=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return render(request, "sales/orders/detail.html",
                      _detail_context(user, order, action_errors=[_("The page was out of date; try again.")]), status=400)
    try:
        changed = run(order, form.cleaned_data)
    except VersionConflict as exc:
        current = order_get(user=user, order_id=exc.current.pk)
        return render(request, "sales/orders/detail.html", _detail_context(user, current, conflict=True), status=409)
    except ValidationError as exc:
        return render(request, "sales/orders/detail.html", _detail_context(user, order, action_errors=exc.messages),
                      status=400)
    if changed.pk != order.pk:
        messages.success(request, done % {"number": changed.number, "source": order.number})
    else:
        _status_message(request, changed, done)
    return redirect("sales:order-detail", pk=changed.pk)


def _status_message(request: HttpRequest, order: Order, done: str) -> None:
    if order.status == OrderStatus.HELD:
        messages.warning(request, _("Order %(number)s is on credit hold — waiting for finance.") % {"number": order.number})
    else:
        messages.success(request, done % {"number": order.number})


@login_required
@require_POST
@domain_errors
def order_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lambda o, d: order_confirm(actor=request.user, order=o, version=d["version"]),
                   _("Order %(number)s confirmed."))


@login_required
@require_POST
@domain_errors
def order_deliver_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lambda o, d: order_deliver(actor=request.user, order=o, version=d["version"]),
                   _("Order %(number)s delivered."))


@login_required
@require_POST
@domain_errors
def order_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request, pk,
        lambda o, d: order_cancel(actor=request.user, order=o, version=d["version"], reason=d["reason"]),
        _("Order %(number)s cancelled."),
    )


@login_required
@require_POST
@domain_errors
def order_copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lambda o, d: order_copy(actor=request.user, order=o),
                   _("Order %(number)s is a new draft copied from %(source)s at today's prices."))


# --- the card's Sales tab: more orders ------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def card_orders_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of the card's orders (the tab's "More orders"): a fragment for htmx, else a page."""
    customer = _customer(request.user, pk)
    page = card_orders(user=request.user, customer_id=customer.pk, cursor=request.GET.get("cursor"))
    template = "sales/orders/_card_orders.html" if is_htmx(request) else "sales/orders/card_orders.html"
    context = {"customer": customer, "page": page, "orders_html": order_records_html(page.rows)}
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response

