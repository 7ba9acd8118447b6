"""Web pages where administrators define custom card fields (list, create, edit, deactivate).

Writes go through kehu.customers.services.fields, the same audited service the API uses.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import scope
from kehu.core.errors import NotFound
from kehu.customers.forms_admin.fields import CustomFieldForm
from kehu.customers.models import CustomField
from kehu.customers.services.fields import custom_field_create, custom_field_deactivate, custom_field_update


def _require_admin(request: HttpRequest) -> None:
    if not scope.can_manage_custom_fields(request.user):
        raise PermissionDenied(_("Only an administrator can define custom fields."))


@login_required
def field_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "customers/field_list.html", {"fields": CustomField.objects.all()})


@login_required
@require_http_methods(["GET", "POST"])
def field_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = custom_field_create(actor=request.user, data=form.service_data(), request=request)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Custom field “%(label)s” created.") % {"label": field.label})
            return redirect("customers:fields")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/field_form.html", {"form": form, "field": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    field = get_object_or_404(CustomField, pk=pk)
    form = CustomFieldForm(request.POST or None, instance=field)
    if request.method == "POST" and form.is_valid():
        try:
            field = custom_field_update(actor=request.user, field_id=field.pk, data=form.service_data(),
                                        request=request)
        except NotFound:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Custom field “%(label)s” saved.") % {"label": field.label})
            return redirect("customers:fields")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/field_form.html", {"form": form, "field": field}, status=status)


@login_required
@require_POST
def field_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    try:
        field = custom_field_deactivate(actor=request.user, field_id=pk, request=request)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Custom field “%(label)s” deactivated; the values already on cards are kept.")
                     % {"label": field.label})
    return redirect("customers:fields")
