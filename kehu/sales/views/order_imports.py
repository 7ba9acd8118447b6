"""The order import page: upload an ERP export, check it (a dry run, credit check included), import it.

A checked file is kept (under MEDIA_ROOT/order-imports/, named by a random token remembered in the
session) so "Import" after "Check" does not need a second upload; it is deleted after the import.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kehu.customers.forms.imports import check_upload_size
from kehu.customers.views.cards import forbidden
from kehu.sales.imports import orders as order_imports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "sales_order_import"


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"), required=False,
        help_text=gettext_lazy("An Excel workbook (.xlsx, .xls) or a CSV file; one row per order line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data.get("file")
        if uploaded is not None:
            check_upload_size(uploaded)
        return uploaded


KEEP_SECONDS = 24 * 3600


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "order-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep() -> None:
    """Files checked and never imported (the session ended) are removed after a day."""
    old = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < old:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _keep(request: HttpRequest, uploaded: Any) -> str:
    """Store an uploaded file for the "Import" that follows a check; returns its token."""
    _forget(request)
    _sweep()
    token = secrets.token_urlsafe(24)
    with open(_folder() / token, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    request.session[SESSION_KEY] = {"token": token, "name": uploaded.name[:200]}
    return token


def _kept(request: HttpRequest, token: str) -> Path | None:
    saved = request.session.get(SESSION_KEY) or {}
    if not token or saved.get("token") != token:
        return None
    path = _folder() / token
    return path if path.exists() else None


def _forget(request: HttpRequest) -> None:
    saved = request.session.pop(SESSION_KEY, None) or {}
    if saved.get("token"):
        (_folder() / Path(saved["token"]).name).unlink(missing_ok=True)


@login_required
def order_import_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not order_imports.can_import_orders(user):
        return forbidden(request, _("Only people who take orders can import them."))
    if request.method != "POST":
        return render(request, "sales/orders/import.html", {"form": OrderImportForm()})
    form = OrderImportForm(request.POST, request.FILES)
    dry_run = "import" not in request.POST
    if not form.is_valid():
        return render(request, "sales/orders/import.html", {"form": form}, status=400)
    uploaded, token = form.cleaned_data["file"], form.cleaned_data["token"]
    if uploaded is not None:
        token = _keep(request, uploaded)
    source = _kept(request, token)
    if source is None:
        form.add_error("file", ValidationError(_("Choose a file to import.")))
        return render(request, "sales/orders/import.html", {"form": form}, status=400)
    result = order_imports.order_import(actor=user, source=source, dry_run=dry_run)
    name = (request.session.get(SESSION_KEY) or {}).get("name", "")
    if not result.ok:
        return render(request, "sales/orders/import.html",
                      {"form": OrderImportForm(initial={"token": token}), "result": result, "file_name": name,
                       "token": token}, status=400)
    if dry_run:
        return render(request, "sales/orders/import.html",
                      {"form": OrderImportForm(initial={"token": token}), "result": result, "file_name": name,
                       "token": token})
    _forget(request)
    messages.success(request, _("%(orders)d orders imported from %(name)s.") % {"orders": len(result.orders), "name": name})
    if result.held:
        messages.warning(request, _("On credit hold, waiting for finance: %(refs)s.")
                         % {"refs": ", ".join(f"{o.ref} ({o.number})" for o in result.held)})
    return render(request, "sales/orders/import.html", {"form": OrderImportForm(), "result": result, "done": True})


@login_required
@require_GET
def order_import_template(request: HttpRequest) -> HttpResponse:
    if not order_imports.can_import_orders(request.user):
        return forbidden(request, _("Only people who take orders can import them."))
    lang = "en" if request.GET.get("lang", request.LANGUAGE_CODE or "").startswith("en") else "zh-hans"
    response = HttpResponse(order_imports.order_import_template(lang), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="order-import-template-{lang}.xlsx"'
    return response
