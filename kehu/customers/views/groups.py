"""Web pages for static groups and saved segments (客户系列化).

Groups are shared by everyone; the members shown and counted are only the cards the asking user
may see. A segment stores the customer list's filter and is re-evaluated whenever it is shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import scope
from kehu.core.errors import Forbidden, NotFound
from kehu.core.pagination import keyset_page, page_links
from kehu.customers import services
from kehu.customers.forms_admin.groups import (
    GroupForm,
    MemberCodesForm,
    MemberRemoveForm,
    filters_to_query,
)
from kehu.customers.group_selectors import group_member_counts, group_members
from kehu.customers.models import Customer, CustomerGroup, GroupKind

PAGE_SIZE = 50


def _require_editor(user: Any) -> None:
    if not scope.can_edit_groups(user):
        raise PermissionDenied(_("You may not change customer groups."))


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/group_list.html", {
        "groups": group_member_counts(user=request.user),
        "can_edit": scope.can_edit_groups(request.user),
    })


def _render_detail(
    request: HttpRequest, group: CustomerGroup, status: int = 200, **forms: Any
) -> HttpResponse:
    members, problems = group_members(user=request.user, group=group)
    page = keyset_page(members, ordering="name", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    can_edit = scope.can_edit_groups(request.user)
    return render(request, "customers/group_detail.html", {
        "group": group,
        "query": filters_to_query(group.filters),
        "problems": problems,
        "member_count": members.count(),
        "members": page.rows,
        **page_links(request, page),
        "can_edit": can_edit,
        "can_edit_members": can_edit and group.kind == GroupKind.STATIC,
        "add_form": forms.get("add_form") or MemberCodesForm(),
        "remove_form": forms.get("remove_form"),
    }, status=status)


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_object_or_404(CustomerGroup, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    source = request.GET.get("from", "")
    initial = {"kind": GroupKind.SEGMENT, "query": source} if source else {"kind": request.GET.get("kind")}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
            return redirect("customers:group-detail", pk=group.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/group_form.html", {"form": form, "group": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    group = get_object_or_404(CustomerGroup, pk=pk)
    initial = {"name": group.name, "kind": group.kind, "description": group.description,
               "query": filters_to_query(group.filters)}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_update(actor=request.user, group_id=group.pk, data=form.service_data())
        except NotFound:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Group “%(name)s” saved.") % {"name": group.name})
            return redirect("customers:group-detail", pk=group.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/group_form.html", {"form": form, "group": group}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    group = get_object_or_404(CustomerGroup, pk=pk)
    if request.method == "POST":
        try:
            services.group_delete(actor=request.user, group_id=group.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Group “%(name)s” deleted.") % {"name": group.name})
        return redirect("customers:groups")
    return render(request, "customers/group_confirm_delete.html", {"group": group})


@login_required
@require_POST
def group_members_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    group = get_object_or_404(CustomerGroup, pk=pk)
    form = MemberCodesForm(request.POST)
    if form.is_valid():
        codes = form.cleaned_data["codes"]
        visible = Customer.objects.visible_to(request.user).filter(code__in=codes)
        found = dict(visible.values_list("code", "pk"))
        missing = [code for code in codes if code not in found]
        if missing:
            form.add_error("codes", _("No card you can see has the code %(codes)s. Nothing was added.")
                           % {"codes": ", ".join(missing)})
        else:
            return _change_members(request, group, form, services.group_add_members, list(found.values()),
                                   _("%(count)d cards added to the group."))
    return _render_detail(request, group, status=400, add_form=form)


@login_required
@require_POST
def group_members_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    group = get_object_or_404(CustomerGroup, pk=pk)
    form = MemberRemoveForm(request.POST)
    if form.is_valid():
        ids = form.cleaned_data["customer"]
        return _change_members(request, group, form, services.group_remove_members, ids,
                               _("%(count)d cards removed from the group."))
    return _render_detail(request, group, status=400, remove_form=form)


def _change_members(request: HttpRequest, group: CustomerGroup, form: Any, service: Any,
                    ids: list[int], done: str) -> HttpResponse:
    try:
        count = service(actor=request.user, group_id=group.pk, customer_ids=ids)
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except ValidationError as exc:
        form.add_service_errors(exc)
        key = "add_form" if isinstance(form, MemberCodesForm) else "remove_form"
        return _render_detail(request, group, status=400, **{key: form})
    messages.success(request, done % {"count": count})
    return redirect("customers:group-detail", pk=group.pk)
