"""Customer card pages: list, detail with its tabs, create/edit, archive, restore, purge, print, autocomplete.

Thin adapters: selectors read (always for the asking user), services write, forms parse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts import scope
from kehu.accounts.audit import audit_record, card_view_record
from kehu.accounts.models import AuditAction, Role, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.core.pagination import capped_count, keyset_page
from kehu.customers import selectors
from kehu.customers.card_tabs import card_tab
from kehu.customers.completeness import missing_items
from kehu.customers.custom_fields import active_fields
from kehu.customers.dedupe import LikelyDuplicates
from kehu.customers.export import customer_export, export_response
from kehu.customers.filters import ORDERING_FIELDS
from kehu.customers.forms import (
    CustomerForm,
    apply_service_errors,
    card_initial,
    list_filters_restrict,
    visible_filter_fields,
)
from kehu.customers.forms.presentation import missing_labels, profile_sections
from kehu.customers.merge_selectors import MergedAway, customer_get_resolved
from kehu.customers.models import Customer
from kehu.customers.services import (
    CARD_FIELDS,
    customer_archive,
    customer_create,
    customer_purge,
    customer_restore,
    customer_update,
)

PAGE_SIZE = 50
AUTOCOMPLETE_SIZE = 10
DEFAULT_ORDERING = "-updated_at"
TABS = [
    ("profile", gettext_lazy("Profile")),
    ("contacts", gettext_lazy("Contacts")),
    ("groups", gettext_lazy("Groups and tags")),
    ("history", gettext_lazy("History")),
    ("sales", gettext_lazy("Sales")),
    ("plans", gettext_lazy("Plans")),
    ("receivables", gettext_lazy("Receivables")),
    ("visits", gettext_lazy("Visits")),
    ("channel", gettext_lazy("Channel")),
]
# Sortable list columns: (ordering field, column label).
SORT_COLUMNS = ["code", "name", "status", "tier", "completeness", "updated_at"]


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which needs the whole page)."""
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "customers/card_forbidden.html", {"message": message}, status=403)


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound (hidden or missing: the same) becomes 404; Forbidden becomes the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return forbidden(request, exc.message or _("You may not do this."))
        except MergedAway as moved:
            return merged_redirect(request, moved)

    return wrapper


def merged_redirect(request: HttpRequest, moved: MergedAway) -> HttpResponse:
    """A merged-away card's pages lead to the card it was merged into (the same page, when read)."""
    match = request.resolver_match
    if request.method in ("GET", "HEAD") and match is not None and "pk" in match.kwargs:
        messages.info(request, _("%(code)s was merged into this card.") % {"code": moved.code})
        url = reverse(f"{match.namespace}:{match.url_name}", kwargs={**match.kwargs, "pk": moved.survivor_id})
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    messages.error(request, _("%(code)s was merged into this card; nothing was changed.") % {"code": moved.code})
    return redirect("customers:detail", pk=moved.survivor_id)


def query_string(params: QueryDict, **changes: str | None) -> str:
    """The list's query string without empty values, with `changes` applied (None removes)."""
    clean = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v for v in values if v.strip()]
        if kept and key not in changes:
            clean.setlist(key, kept)
    for key, value in changes.items():
        if value:
            clean[key] = value
    return clean.urlencode()


def _ordering(wanted: str) -> str:
    return wanted if wanted.lstrip("-") in ORDERING_FIELDS else DEFAULT_ORDERING


def _sort_links(request: HttpRequest, ordering: str) -> dict[str, dict[str, str]]:
    links = {}
    for name in SORT_COLUMNS:
        ascending_now = ordering == name
        target = f"-{name}" if ascending_now else name
        arrow = "▲" if ordering == name else "▼" if ordering == f"-{name}" else ""
        links[name] = {"url": f"?{query_string(request.GET, ordering=target, cursor=None)}", "arrow": arrow}
    return links


@login_required
@require_GET
def card_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or .xlsx (?format=; visible rows, masked as on screen; audited)."""
    try:
        export = customer_export(user=request.user, params=request.GET, request=request)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except ValidationError as exc:
        if "format" in exc.message_dict:
            return HttpResponseBadRequest(" ".join(exc.message_dict["format"]))
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('customers:list')}?{request.GET.urlencode()}")
    return export_response(export)


@login_required
@require_GET
def card_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filterset = list_filters_restrict(selectors.customer_list(user=user, params=request.GET), user)
    ordering = _ordering(request.GET.get("ordering", ""))
    rows = filterset.qs
    page = keyset_page(rows, ordering=ordering, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = {
        "filterset": filterset,
        "filter_fields": visible_filter_fields(filterset),
        "page": page,
        "total": (total := capped_count(rows)).value,
        "total_capped": total.capped,
        "ordering": ordering,
        "ordering_chosen": ordering if ordering == request.GET.get("ordering") else "",
        "sort": _sort_links(request, ordering),
        "next_url": f"?{query_string(request.GET, cursor=page.next_cursor)}" if page.next_cursor else "",
        "previous_url": f"?{query_string(request.GET, cursor=page.previous_cursor)}"
        if page.previous_cursor
        else "",
        "can_create": scope.can_create(user),
        "can_export": scope.can_export(user),
        "export_url": f"{reverse('customers:export')}?{query_string(request.GET, cursor=None)}",
        "filters_active": bool(query_string(request.GET, q=None, ordering=None, cursor=None)),
    }
    if not is_htmx(request):
        response = render(request, "customers/list.html", context)
    else:
        response = render(request, "customers/list_results.html", context)
        query = query_string(request.GET)
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    patch_vary_headers(response, ("HX-Request",))
    return response


def _visible(user: User, pk: int) -> Customer:
    """The visible card; a merged-away card's id raises MergedAway (its survivor's pages answer)."""
    resolved = customer_get_resolved(user=user, customer_id=pk)
    if resolved.merged_code:
        raise MergedAway(resolved.merged_code, resolved.customer.pk)
    return resolved.customer


def _actions(user: User, customer: Customer) -> dict[str, bool]:
    return {
        "edit": bool(scope.editable_fields(user, customer, CARD_FIELDS)),
        "archive": scope.can_edit(user, customer),
        "contacts": scope.can_edit(user, customer),
        "restore": customer.is_archived and scope.can_restore(user),
        "purge": customer.is_archived and scope.can_purge(user),
        "merge": not customer.is_archived and scope.can_merge(user),
    }


def _upstream_url(user: User, customer: Customer) -> str:
    if customer.upstream_id and Customer.objects.visible_to(user).filter(pk=customer.upstream_id).exists():
        return reverse("customers:detail", args=[customer.upstream_id])
    return ""


def card_context(user: User, customer: Customer, tab: str) -> dict[str, Any]:
    """What the card page shows; sensitive values are masked before anything reads them."""
    contacts = selectors.customer_contacts(user=user, customer=customer)
    masked = not scope.can_see_sensitive(user, customer)
    if masked:
        selectors.customer_mask(customer)
    fields = active_fields()
    context: dict[str, Any] = {
        "customer": customer,
        "contacts": contacts,
        "masked": masked,
        "tab": tab,
        "tabs": TABS,
        "actions": _actions(user, customer),
        "missing": missing_labels(missing_items(customer, contacts), customer, fields),
    }
    if tab == "profile":
        context["sections"] = profile_sections(customer, fields, _upstream_url(user, customer))
    elif tab == "groups":
        context["groups"] = selectors.customer_groups(customer=customer)
    elif tab == "history":
        context["history"] = selectors.customer_history(user=user, customer=customer)
    elif (contributed := card_tab(tab)) is not None:
        context["tab_template"] = contributed.template
        context.update(contributed.context(user, customer))
    return context


@login_required
@require_GET
@domain_errors
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible(request.user, pk)
    card_view_record(actor=request.user, customer=customer, request=request)
    tab = request.GET.get("tab", "profile")
    tab = tab if tab in dict(TABS) else "profile"
    context = card_context(request.user, customer, tab)
    template = "customers/card_tabs.html" if is_htmx(request) else "customers/card_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
@domain_errors
def card_print(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible(request.user, pk)
    audit_record(actor=request.user, action=AuditAction.PRINT, obj=customer, request=request)
    return render(request, "customers/card_print.html", card_context(request.user, customer, "profile"))


def _render_form(
    request: HttpRequest, form: CustomerForm, customer: Customer | None, status: int = 200, **extra: Any
) -> HttpResponse:
    upstream_id = form["upstream"].value()
    context = {
        "form": form,
        "customer": customer,
        "sections": form.section_fields(),
        "upstream_label": _upstream_label(request.user, upstream_id),
        **extra,
    }
    return render(request, "customers/card_form.html", context, status=status)


def _upstream_label(user: User, value: Any) -> str:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return ""
    found = Customer.objects.visible_to(user).filter(pk=pk).first() if 0 < pk < 2**63 else None
    return str(found) if found is not None else ""


@login_required
@domain_errors
def card_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scope.can_create(user):
        return forbidden(request, _("You may not create customer cards."))
    initial = {"owner": user.pk} if user.role in (Role.REP, Role.MANAGER) else {}
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(data, user=user, customer=None, custom_fields=active_fields(), initial=initial)
    if data is None:
        return _render_form(request, form, None)
    if form.is_valid():
        confirmed = request.POST.get("confirm_duplicates") == "1"
        try:
            customer = customer_create(
                actor=user, data=form.service_data(), request=request, confirm_duplicates=confirmed
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except LikelyDuplicates as twins:
            return _render_form(request, form, None, duplicates=selectors.matches_masked(user, twins.matches))
        else:
            messages.success(request, _("Card %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return _render_form(request, form, None, status=400)


@login_required
@domain_errors
def card_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = _visible(user, pk)
    if not scope.editable_fields(user, customer, CARD_FIELDS):
        return forbidden(request, _("You may not edit this card."))
    if not scope.can_see_sensitive(user, customer):
        selectors.customer_mask(customer)
    fields = active_fields()
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(
        data, user=user, customer=customer, custom_fields=fields, initial=card_initial(customer, fields)
    )
    if data is None:
        return _render_form(request, form, customer)
    if form.is_valid():
        try:
            customer_update(
                actor=user,
                customer_id=customer.pk,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except VersionConflict as exc:
            return _conflict(request, form, exc.current, fields)
        else:
            messages.success(request, _("Card saved."))
            return redirect("customers:detail", pk=customer.pk)
    return _render_form(request, form, customer, status=400)


def _conflict(request: HttpRequest, form: CustomerForm, current: Customer, fields: list[Any]) -> HttpResponse:
    """Someone saved first: keep the input, show the saved values, arm the form with the new version."""
    user = request.user
    if not scope.can_see_sensitive(user, current):
        selectors.customer_mask(current)
    differences = form.differences(current, user)
    data = request.POST.copy()
    data["version"] = str(current.version)
    rearmed = CustomerForm(
        data, user=user, customer=current, custom_fields=fields, initial=card_initial(current, fields)
    )
    rearmed.is_valid()
    return _render_form(request, rearmed, current, status=409, conflict=True, differences=differences)


@login_required
@domain_errors
def card_archive(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible(request.user, pk)
    if not scope.can_edit(request.user, customer):
        return forbidden(request, _("You may not archive this card."))
    if request.method == "POST":
        customer_archive(actor=request.user, customer_id=customer.pk, request=request)
        messages.success(request, _("Card %(name)s archived.") % {"name": customer.name})
        return redirect("customers:list")
    return render(request, "customers/card_confirm_archive.html", {"customer": customer})


@login_required
@require_POST
@domain_errors
def card_restore(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible(request.user, pk)
    try:
        customer_restore(actor=request.user, customer_id=customer.pk, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Card %(name)s restored.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)


@login_required
@domain_errors
def card_purge(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible(request.user, pk)
    if not scope.can_purge(request.user):
        return forbidden(request, _("Only an administrator can purge a card."))
    context: dict[str, Any] = {"customer": customer, "errors": [], "reason": ""}
    if request.method != "POST":
        return render(request, "customers/card_confirm_purge.html", context)
    context["reason"] = request.POST.get("reason", "")
    try:
        customer_purge(actor=request.user, customer_id=customer.pk, reason=context["reason"], request=request)
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, "customers/card_confirm_purge.html", context, status=400)
    messages.success(request, _("Card %(name)s purged.") % {"name": customer.name})
    return redirect("customers:list")


@login_required
@require_GET
def card_autocomplete(request: HttpRequest) -> HttpResponse:
    """A few visible customers matching `q`, for the upstream-supplier picker."""
    text = (request.GET.get("q") or request.GET.get("upstream_label") or "").strip()
    found: list[Customer] = []
    if text:
        rows = selectors.customer_list(user=request.user, params={"q": text}).qs
        exclude = request.GET.get("exclude", "")
        if exclude.isdigit() and int(exclude) < 2**63:
            rows = rows.exclude(pk=int(exclude))
        found = list(rows.order_by("name", "id")[:AUTOCOMPLETE_SIZE])
    return render(request, "customers/card_autocomplete.html", {"found": found, "text": text})
