"""Product catalogue pages: list, detail with the price list per channel level, create/edit,
activate/deactivate, import and the order-entry autocomplete.

Everyone signed in reads the catalogue (it is not customer data); the writes are for
`scope.can_manage_catalogue` and go through kehu.sales.services.products.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.api.fields import MAX_ID
from kehu.core.errors import VersionConflict
from kehu.core.pagination import capped_count, keyset_page
from kehu.customers.models import ChannelLevel, Customer
from kehu.customers.views.cards import domain_errors, is_htmx, query_string
from kehu.sales.forms.products import (
    PRODUCT_FORM_FIELDS,
    PriceGridForm,
    ProductFilterForm,
    ProductForm,
    ProductImportForm,
    apply_service_errors,
)
from kehu.sales.imports.products import COLUMNS, products_import_file, products_template
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_prices, product_search
from kehu.sales.services.products import product_create, product_price_set, product_set_active, product_update

PAGE_SIZE = 50
AUTOCOMPLETE_SIZE = 15
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _forbidden(request: HttpRequest) -> HttpResponse:
    message = _("Only a director, a data custodian or an administrator may change the product catalogue.")
    return render(request, "sales/products/forbidden.html", {"message": message}, status=403)


def _product(pk: int) -> Product:
    product = Product.objects.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if product is None:
        raise Http404
    return product


def _categories() -> list[str]:
    return list(Product.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct())


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET, categories=_categories())
    rows = form.queryset(Product.objects.all())
    page = keyset_page(rows, ordering="sku", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    _attach_prices(page.rows)
    total = capped_count(rows)
    context = {
        "form": form, "page": page, "total": total.value, "total_capped": total.capped,
        "levels": ChannelLevel.choices,
        "can_manage": scope.can_manage_catalogue(request.user),
        "next_url": f"?{query_string(request.GET, cursor=page.next_cursor)}" if page.next_cursor else "",
        "previous_url": f"?{query_string(request.GET, cursor=page.previous_cursor)}" if page.previous_cursor else "",
        "filters_active": bool(query_string(request.GET, q=None, cursor=None)),
    }
    if not is_htmx(request):
        response = render(request, "sales/products/list.html", context)
    else:
        response = render(request, "sales/products/list_results.html", context)
        query = query_string(request.GET)
        response["HX-Push-Url"] = f"{request.path}?{query}" if query else request.path
    patch_vary_headers(response, ("HX-Request",))
    return response


def _attach_prices(products: list[Product]) -> None:
    """`product.level_prices`: [(level, price or None)] in channel order, in one query for the page."""
    prices: dict[int, dict[str, Decimal]] = {}
    rows = ProductPrice.objects.filter(product__in=products).values_list("product_id", "channel_level", "price")
    for pk, level, price in rows:
        prices.setdefault(pk, {})[level] = price
    for product in products:
        own = prices.get(product.pk, {})
        product.level_prices = [  # type: ignore[attr-defined]
            (level, label, own.get(level)) for level, label in ChannelLevel.choices
        ]


@login_required
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(pk)
    return render(request, "sales/products/detail.html", _detail_context(request.user, product))


def _detail_context(user: User, product: Product, grid: PriceGridForm | None = None, **extra: Any) -> dict[str, Any]:
    can_manage = scope.can_manage_catalogue(user)
    _attach_prices([product])
    return {
        "product": product,
        "can_manage": can_manage,
        "grid": grid or (PriceGridForm(product=product) if can_manage else None),
        "level_rows": [(label, price) for _level, label, price in product.level_prices],  # type: ignore[attr-defined]
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def product_new(request: HttpRequest) -> HttpResponse:
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    form = ProductForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(actor=request.user, data=form.service_data(), request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("sales:product-detail", pk=product.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/products/form.html", {"form": form, "product": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(pk)
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    form = ProductForm(request.POST if request.method == "POST" else None, product=product)
    if request.method == "GET":
        return render(request, "sales/products/form.html", {"form": form, "product": product})
    if form.is_valid():
        try:
            product_update(actor=request.user, product_id=product.pk, data=form.service_data(),
                           version=form.cleaned_data["version"], request=request)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except VersionConflict as conflict:
            return _edit_conflict(request, conflict.current)
        else:
            messages.success(request, _("Product saved."))
            return redirect("sales:product-detail", pk=product.pk)
    return render(request, "sales/products/form.html", {"form": form, "product": product}, status=400)


def _edit_conflict(request: HttpRequest, current: Product) -> HttpResponse:
    """Someone saved first: keep the input, show the saved values, arm the form with the new version."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = ProductForm(data, product=current)
    form.is_valid()
    differences = []
    for name in PRODUCT_FORM_FIELDS:
        if name in form.fields and name in form.cleaned_data and form.cleaned_data[name] != getattr(current, name):
            differences.append((form.fields[name].label, getattr(current, name), form.cleaned_data[name]))
    context = {"form": form, "product": current, "conflict": True, "differences": differences}
    return render(request, "sales/products/form.html", context, status=409)


@login_required
@require_POST
@domain_errors
def product_prices_save(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(pk)
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    grid = PriceGridForm(request.POST, product=product)
    status, conflict = 400, False
    if grid.is_valid():
        try:
            product = product_price_set(actor=request.user, product_id=product.pk, prices=grid.prices(),
                                        version=grid.cleaned_data["version"], request=request)
        except ValidationError as exc:
            grid.add_service_errors(exc)
        except VersionConflict as exc:
            product, status, conflict = exc.current, 409, True
            grid = PriceGridForm(product=product)
        else:
            if not is_htmx(request):
                messages.success(request, _("Prices saved."))
                return redirect("sales:product-detail", pk=product.pk)
            status, grid = 200, PriceGridForm(product=product)
    # htmx: the activate button's version is refreshed out of band, so it does not go stale.
    context = _detail_context(request.user, product, grid, conflict=conflict, saved=status == 200,
                              oob=is_htmx(request))
    template = "sales/products/price_grid.html" if is_htmx(request) else "sales/products/detail.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
@domain_errors
def product_active(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(pk)
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    wanted = request.POST.get("is_active") in ("1", "true", "on")
    try:
        product_set_active(actor=request.user, product_id=product.pk, is_active=wanted,
                           version=request.POST.get("version"), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except VersionConflict:
        messages.error(request, _("Someone changed this product meanwhile; review it and try again."))
    else:
        messages.success(request, _("Product activated.") if wanted else _("Product deactivated."))
    return redirect("sales:product-detail", pk=product.pk)


# --- order entry: the product picker ----------------------------------------------------------


def _autocomplete_level(request: HttpRequest, user: User) -> str | None:
    """The channel level whose prices are shown: ?channel_level=, else ?customer='s level, else None."""
    level = request.GET.get("channel_level", "").strip()
    if level:
        if level not in ChannelLevel.values:
            raise ValidationError({"channel_level": [_("Not a channel level; use one of: %(levels)s.")
                                                     % {"levels": ", ".join(ChannelLevel.values)}]})
        return level
    raw = request.GET.get("customer", "").strip()
    if not raw:
        return None
    try:
        customer_id = int(raw)
    except ValueError:
        raise ValidationError({"customer": [_("Enter a whole number.")]}) from None
    found = Customer.objects.visible_to(user).filter(pk=customer_id).values_list("channel_level", flat=True).first() \
        if 0 < customer_id <= MAX_ID else None
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
def product_autocomplete(request: HttpRequest) -> HttpResponse:
    """Active products matching ?q= with the price for ?channel_level= (or ?customer='s level).

    `?format=json` answers [{id, sku, name, spec, unit, list_price, price}] (money as strings);
    otherwise an HTML fragment of options for htmx (data-* attributes carry the same values)."""
    wants_json = request.GET.get("format") == "json"
    try:
        level = _autocomplete_level(request, request.user)
    except ValidationError as exc:
        if wants_json:
            return JsonResponse(exc.message_dict, status=400)
        return HttpResponse(" ".join(exc.messages), status=400)
    text = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # PostgreSQL text holds no NUL
    found = product_search(q=text, limit=AUTOCOMPLETE_SIZE) if text else []
    prices = product_prices([p.pk for p in found], level) if found and level else {}
    items = [
        {"id": p.pk, "sku": p.sku, "name": p.name, "spec": p.spec, "unit": p.unit,
         "list_price": str(p.list_price), "price": str(prices.get(p.pk, p.list_price))}
        for p in found
    ]
    if wants_json:
        return JsonResponse(items, safe=False)
    return render(request, "sales/products/autocomplete.html", {"items": items, "text": text})


# --- import ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def product_import(request: HttpRequest) -> HttpResponse:
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    posted = request.method == "POST"
    form = ProductImportForm(request.POST if posted else None, request.FILES if posted else None)
    context: dict[str, Any] = {"form": form, "columns": COLUMNS}
    if request.method == "GET":
        return render(request, "sales/products/import.html", context)
    if not form.is_valid():
        return render(request, "sales/products/import.html", context, status=400)
    result = products_import_file(actor=request.user, source=form.cleaned_data["file"],
                                  dry_run=form.cleaned_data["dry_run"], request=request)
    context["result"] = result
    if result.ok and not result.dry_run:
        messages.success(request, _("Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
                         % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
        return redirect("sales:products")
    return render(request, "sales/products/import.html", context, status=200 if result.ok else 400)


@login_required
@require_GET
def product_import_template(request: HttpRequest) -> HttpResponse:
    if not scope.can_manage_catalogue(request.user):
        return _forbidden(request)
    lang = request.GET.get("lang") or request.LANGUAGE_CODE
    response = HttpResponse(products_template(lang), content_type=XLSX_TYPE)
    name = "products-template.xlsx" if lang.startswith("en") else "products-template-zh.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

