"""Lending (借阅): ask for a card you cannot see; the owner's manager or a custodian decides."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AccessGrant, AuditAction, GrantStatus, User
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import Customer


def _validate_request(code: str, reason: str, days: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["customer_code"] = [_("Enter the code of the card you need.")]
    if len(reason.strip()) < 4:
        errors["reason"] = [_("Say why you need the card (at least 4 characters).")]
    if not 1 <= days <= settings.KEHU_GRANT_MAX_DAYS:
        errors["days"] = [_("Ask for 1 to %(max)d days.") % {"max": settings.KEHU_GRANT_MAX_DAYS}]
    return errors


@transaction.atomic
def grant_request(
    *, actor: User, customer_code: str, reason: str, days: int, request: HttpRequest | None = None
) -> AccessGrant:
    """Card codes are not secret; a request reveals nothing of the card until it is approved."""
    errors = _validate_request(customer_code, reason, days)
    customer = Customer.objects.filter(code__iexact=customer_code.strip(), archived_at__isnull=True).first()
    if customer is None and "customer_code" not in errors:
        errors["customer_code"] = [_("No card has this code.")]
    if errors:
        raise ValidationError(errors)
    assert customer is not None
    if Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer_code": [_("You can already see this card.")]})
    if AccessGrant.objects.filter(customer=customer, grantee=actor, status=GrantStatus.PENDING).exists():
        raise ValidationError({"customer_code": [_("You already asked for this card; wait for the decision.")]})
    grant = AccessGrant.objects.create(
        customer=customer, grantee=actor, requested_by=actor, reason=reason.strip(), days=days
    )
    audit_record(actor=actor, action=AuditAction.GRANT_REQUEST, obj=grant, request=request,
                 detail={"customer_id": customer.pk, "days": days})
    return grant


def _locked_grant(actor: User, grant_id: int) -> AccessGrant:
    grant = AccessGrant.objects.select_for_update(of=("self",)).select_related("customer__org_unit").filter(pk=grant_id).first()
    if grant is None or not (scope.can_decide_grant(actor, grant.customer) or grant.grantee_id == actor.pk):
        raise NotFound
    if not scope.can_decide_grant(actor, grant.customer):
        raise Forbidden(_("Only the card owner's manager or a data custodian decides loans."))
    return grant


@transaction.atomic
def grant_decide(
    *, actor: User, grant_id: int, approve: bool, note: str = "", days: int | None = None,
    request: HttpRequest | None = None,
) -> AccessGrant:
    grant = _locked_grant(actor, grant_id)
    if grant.status != GrantStatus.PENDING:
        raise ValidationError({"status": [_("This request was already decided.")]})
    if grant.grantee_id == actor.pk:
        raise Forbidden(_("You cannot decide your own request."))
    now = timezone.now()
    grant.decided_by, grant.decided_at, grant.decision_note = actor, now, note.strip()
    if approve:
        if days is not None and not 1 <= days <= settings.KEHU_GRANT_MAX_DAYS:
            raise ValidationError({"days": [_("Grant 1 to %(max)d days.") % {"max": settings.KEHU_GRANT_MAX_DAYS}]})
        grant.days = days or grant.days
        grant.status, grant.starts_at = GrantStatus.APPROVED, now
        grant.expires_at = now + timedelta(days=grant.days)
    else:
        grant.status = GrantStatus.REFUSED
    grant.save()
    action = AuditAction.GRANT_APPROVE if approve else AuditAction.GRANT_REFUSE
    audit_record(actor=actor, action=action, obj=grant, request=request,
                 detail={"customer_id": grant.customer_id, "grantee_id": grant.grantee_id, "days": grant.days})
    return grant


@transaction.atomic
def grant_revoke(*, actor: User, grant_id: int, note: str = "", request: HttpRequest | None = None) -> AccessGrant:
    grant = _locked_grant(actor, grant_id)
    if not grant.is_active:
        raise ValidationError({"status": [_("Only an active loan can be revoked.")]})
    grant.status, grant.decision_note = GrantStatus.REVOKED, note.strip() or grant.decision_note
    grant.expires_at = timezone.now()
    grant.save()
    audit_record(actor=actor, action=AuditAction.GRANT_REVOKE, obj=grant, request=request,
                 detail={"customer_id": grant.customer_id, "grantee_id": grant.grantee_id})
    return grant
