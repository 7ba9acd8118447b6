"""Web pages for card loans (借阅): ask for a card, decide, revoke, and the pending/active/past lists.

A loan is shown to its borrower and to those who may decide it; anyone else gets 404. Until a
loan is approved its borrower sees only the code they typed, never the card's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant, GrantStatus
from kehu.core.errors import Forbidden, NotFound
from kehu.core.pagination import keyset_page, page_links
from kehu.customers import services
from kehu.customers.forms_admin.grants import GrantDecisionForm, GrantRequestForm, GrantRevokeForm
from kehu.customers.models import Customer
from kehu.customers.selectors import grant_lists

PAGE_SIZE = 50
RELATED = ("customer__org_unit", "grantee", "requested_by", "decided_by")


def _state(grant: AccessGrant) -> str:
    if grant.status == GrantStatus.APPROVED:
        return str(_("Expired")) if grant.is_expired else str(_("Active"))
    return str(grant.get_status_display())


def _decorate(user: Any, grants: Iterable[AccessGrant]) -> list[AccessGrant]:
    """What the page needs per loan, with one query for the whole list."""
    rows = list(grants)
    cards = Customer.objects.visible_to(user).filter(pk__in={g.customer_id for g in rows})
    visible = set(cards.values_list("pk", flat=True))
    for grant in rows:
        grant.card_visible = grant.customer_id in visible  # type: ignore[attr-defined]
        grant.may_decide = (  # type: ignore[attr-defined]
            grant.grantee_id != user.pk and scope.can_decide_grant(user, grant.customer)
        )
        grant.state = _state(grant)  # type: ignore[attr-defined]
    return rows


def _visible_grant(user: Any, pk: int) -> AccessGrant:
    grant = AccessGrant.objects.select_related(*RELATED).filter(pk=pk).first()
    if grant is None or not (grant.grantee_id == user.pk or scope.can_decide_grant(user, grant.customer)):
        raise Http404
    return grant


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    lists = {name: grants.select_related(*RELATED) for name, grants in grant_lists(user=request.user).items()}
    cursor = request.GET.get("cursor")
    past = keyset_page(lists["past"], ordering="-requested_at", cursor=cursor, size=PAGE_SIZE)
    return render(request, "customers/grant_list.html", {
        "pending": _decorate(request.user, lists["pending"].order_by("requested_at")),
        "active": _decorate(request.user, lists["active"].order_by("expires_at")),
        "past": _decorate(request.user, past.rows),
        **page_links(request, past),
    })


@login_required
@require_http_methods(["GET", "POST"])
def grant_request(request: HttpRequest) -> HttpResponse:
    form = GrantRequestForm(request.POST or None, initial={"customer_code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_request(actor=request.user, customer_code=data["customer_code"],
                                   reason=data["reason"], days=data["days"], request=request)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your request was sent; you will see the card once it is approved."))
            return redirect("customers:grants")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/grant_request.html", {"form": form}, status=status)


def _render_detail(request: HttpRequest, grant: AccessGrant, status: int = 200, **forms: Any) -> HttpResponse:
    (grant,) = _decorate(request.user, [grant])
    return render(request, "customers/grant_detail.html", {
        "grant": grant,
        "decision_form": forms.get("decision_form") or GrantDecisionForm(),
        "revoke_form": forms.get("revoke_form") or GrantRevokeForm(),
    }, status=status)


@login_required
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_grant(request.user, pk))


def _call(request: HttpRequest, grant: AccessGrant, form: Any, form_name: str, action: Any) -> HttpResponse:
    """Run a decision service; its refusals become 404/403, its validation errors a 400 page."""
    try:
        done = action()
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_detail(request, grant, status=400, **{form_name: form})
    messages.success(request, done)
    return redirect("customers:grants")


@login_required
@require_POST
def grant_decide(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request.user, pk)
    form = GrantDecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, grant, status=400, decision_form=form)
    data = form.cleaned_data

    def decide() -> str:
        decided = services.grant_decide(actor=request.user, grant_id=grant.pk, approve=form.approves,
                                        note=data["note"], days=data["days"], request=request)
        if decided.status == GrantStatus.APPROVED:
            return _("Loan approved for %(days)d days.") % {"days": decided.days}
        return _("Loan refused.")

    return _call(request, grant, form, "decision_form", decide)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request.user, pk)
    form = GrantRevokeForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, grant, status=400, revoke_form=form)

    def revoke() -> str:
        note = form.cleaned_data["note"]
        services.grant_revoke(actor=request.user, grant_id=grant.pk, note=note, request=request)
        return _("Loan revoked; the card is no longer visible to the borrower.")

    return _call(request, grant, form, "revoke_form", revoke)
