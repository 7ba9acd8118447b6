"""THE access policy: the only place that decides who sees and edits which customer.

Everything that belongs to a customer gets `visible_to(user)` from `ScopedQuerySet`; lists,
detail pages, the API, the admin, search, exports and background jobs all start from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models
from django.db.models import Q

from kehu.accounts.models import AccessGrant, OrgUnit, Role, User

if TYPE_CHECKING:
    from kehu.customers.models import Customer

M = TypeVar("M", bound=models.Model)

SEE_ALL_ROLES = frozenset({Role.DIRECTOR, Role.FINANCE, Role.CUSTODIAN, Role.AUDITOR, Role.ADMIN})
EDIT_ALL_ROLES = frozenset({Role.DIRECTOR, Role.CUSTODIAN, Role.ADMIN})
SEE_ARCHIVED_ROLES = frozenset({Role.CUSTODIAN, Role.AUDITOR, Role.ADMIN})
RESTORE_ROLES = frozenset({Role.CUSTODIAN, Role.ADMIN})
AUDIT_LOG_ROLES = frozenset({Role.AUDITOR, Role.CUSTODIAN, Role.ADMIN})
EXPORT_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.FINANCE, Role.CUSTODIAN, Role.ADMIN})
IMPORT_ROLES = frozenset({Role.CUSTODIAN, Role.ADMIN})
GROUP_EDIT_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.CUSTODIAN, Role.ADMIN})
# Finance may not edit the profile, but keeps credit terms current.
CREDIT_FIELDS = frozenset({"credit_rating", "credit_limit", "payment_terms_days"})


def _is_active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def subtree_unit_ids(user: User) -> models.QuerySet[OrgUnit]:
    """Ids of the org units at or under the user's own unit, as a subquery."""
    assert user.org_unit is not None
    return OrgUnit.objects.filter(path__startswith=user.org_unit.path).values("id")


def customer_q(user: Any, prefix: str = "") -> Q | None:
    """The filter of customers `user` may see; None means everything (no filter)."""
    if not _is_active(user):
        return Q(pk__in=[])
    p = f"{prefix}__" if prefix else ""
    archived = Q() if user.role in SEE_ARCHIVED_ROLES else Q(**{f"{p}archived_at__isnull": True})
    if user.role in SEE_ALL_ROLES:
        return archived if archived else None
    # The loans and the subtree are read first and passed as id lists: inside an OR, an
    # `IN (SELECT …)` keeps both databases off the owner/org-unit indexes and makes every count
    # a scan of all cards (bench slow spot 2). Both lists are short (a user's loans, a subtree).
    lent = list(AccessGrant.objects.active().filter(grantee=user).values_list("customer_id", flat=True))
    visible = Q(**{f"{p}owner": user})
    if lent:
        visible |= Q(**{f"{p}pk__in": lent})
    if user.role == Role.MANAGER and user.org_unit_id:
        visible |= Q(**{f"{p}org_unit__in": list(subtree_unit_ids(user).values_list("id", flat=True))})
    return visible & archived


class ScopedQuerySet(models.QuerySet[M], Generic[M]):
    """Base for querysets of customer-owned rows. `customer_lookup` is the path to the customer."""

    customer_lookup: str = ""

    def visible_to(self, user: Any) -> ScopedQuerySet[M]:
        q = customer_q(user, self.customer_lookup)
        return self if q is None else self.filter(q)


def _in_subtree(user: User, customer: Customer) -> bool:
    if not (user.org_unit_id and customer.org_unit_id):
        return False
    unit_path = customer.org_unit.path if customer.org_unit else ""
    return unit_path.startswith(user.org_unit.path) if user.org_unit else False


def can_view(user: Any, customer: Customer) -> bool:
    from kehu.customers.models import Customer as CustomerModel

    return CustomerModel.objects.visible_to(user).filter(pk=customer.pk).exists()


def sees_by_position(user: Any, customer: Customer) -> bool:
    """Whether `user` sees `customer` by role, ownership or subtree (loans aside), without a query:
    for picking among many users at once; `can_view` is the full answer for one."""
    if not _is_active(user):
        return False
    if user.role in SEE_ALL_ROLES or customer.owner_id == user.pk:
        return True
    return user.role == Role.MANAGER and _in_subtree(user, customer)


def can_edit(user: Any, customer: Customer) -> bool:
    """Full profile edit: the owner, the manager of the subtree, and director/custodian/admin."""
    if not _is_active(user) or customer.is_archived:
        return False
    if user.role in EDIT_ALL_ROLES:
        return True
    if customer.owner_id == user.pk and user.role in (Role.REP, Role.MANAGER):
        return True
    return user.role == Role.MANAGER and _in_subtree(user, customer)


def editable_fields(user: Any, customer: Customer | None, all_fields: frozenset[str]) -> frozenset[str]:
    """The card fields `user` may change: all of them, the credit terms (finance), or none."""
    if customer is None:
        return all_fields if can_create(user) else frozenset()
    if can_edit(user, customer):
        return all_fields
    if _is_active(user) and user.role == Role.FINANCE and not customer.is_archived:
        return CREDIT_FIELDS & all_fields
    return frozenset()


def can_create(user: Any) -> bool:
    return _is_active(user) and user.role in (Role.REP, Role.MANAGER, *EDIT_ALL_ROLES)


def can_see_sensitive(user: Any, customer: Customer) -> bool:
    """Contact numbers and the credit code are shown in full only to those who may edit the card."""
    return can_edit(user, customer)


def can_restore(user: Any) -> bool:
    return _is_active(user) and user.role in RESTORE_ROLES


def can_merge(user: Any) -> bool:
    """Merging duplicate cards is data-quality work: custodians and admins."""
    return _is_active(user) and user.role in RESTORE_ROLES


def can_purge(user: Any) -> bool:
    return _is_active(user) and user.role == Role.ADMIN


def can_export(user: Any) -> bool:
    return _is_active(user) and user.role in EXPORT_ROLES


def can_import(user: Any) -> bool:
    """Importing spreadsheets of cards is data custody: custodians and admins."""
    return _is_active(user) and user.role in IMPORT_ROLES


def can_read_audit_log(user: Any) -> bool:
    return _is_active(user) and user.role in AUDIT_LOG_ROLES


def can_edit_groups(user: Any) -> bool:
    return _is_active(user) and user.role in GROUP_EDIT_ROLES


def can_manage_custom_fields(user: Any) -> bool:
    return _is_active(user) and user.role == Role.ADMIN


def can_decide_grant(user: Any, customer: Customer) -> bool:
    """The card owner's manager (the card's org-unit subtree) or a custodian/admin decides loans."""
    if not _is_active(user):
        return False
    if user.role in RESTORE_ROLES:
        return True
    return user.role == Role.MANAGER and _in_subtree(user, customer)


def grants_decidable_q(user: Any) -> Q | None:
    """Filter over AccessGrant for loans `user` may decide; None means all."""
    if not _is_active(user):
        return Q(pk__in=[])
    if user.role in RESTORE_ROLES:
        return None
    if user.role == Role.MANAGER and user.org_unit_id:
        return Q(customer__org_unit__in=subtree_unit_ids(user))
    return Q(pk__in=[])


def users_visible_q(user: Any) -> Q | None:
    """Users a user may list: everyone for see-all roles; managers their subtree; reps themselves."""
    if not _is_active(user):
        return Q(pk__in=[])
    if user.role in SEE_ALL_ROLES:
        return None
    if user.role == Role.MANAGER and user.org_unit_id:
        return Q(org_unit__in=subtree_unit_ids(user)) | Q(pk=user.pk)
    return Q(pk=user.pk)


# --- Sales, receivables and credit (kehu.sales) -------------------------------------------------
SELL_ROLES = frozenset({Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
MONEY_ROLES = frozenset({Role.FINANCE, Role.ADMIN})
CATALOGUE_ROLES = frozenset({Role.DIRECTOR, Role.CUSTODIAN, Role.ADMIN})


def can_take_orders(user: Any, customer: Customer) -> bool:
    """Entering and confirming orders: whoever may edit the card and sells (rep, manager, director, admin)."""
    return _is_active(user) and user.role in SELL_ROLES and can_edit(user, customer)


def can_record_money(user: Any, customer: Customer) -> bool:
    """Payments, allocations and collection plans: finance and admin for all; reps and managers for their cards."""
    if not _is_active(user) or customer.is_archived:
        return False
    if user.role in MONEY_ROLES:
        return True
    return user.role in (Role.REP, Role.MANAGER) and can_edit(user, customer)


def can_issue_credit_notes(user: Any) -> bool:
    """Credit notes and refunds change what a customer owes without money in: finance and admin only."""
    return _is_active(user) and user.role in MONEY_ROLES


def can_decide_credit(user: Any, customer: Customer) -> bool:
    """Credit holds and limit suggestions: finance, director and admin for all; a manager for the subtree."""
    if not _is_active(user):
        return False
    if user.role in (Role.FINANCE, Role.DIRECTOR, Role.ADMIN):
        return True
    return user.role == Role.MANAGER and _in_subtree(user, customer)


def can_review_credit(user: Any) -> bool:
    """Who may open the credit review and hold queue pages (each row is still checked with can_decide_credit)."""
    return _is_active(user) and user.role in (Role.FINANCE, Role.DIRECTOR, Role.ADMIN, Role.MANAGER)


def can_manage_credit_policy(user: Any) -> bool:
    """The limit per rating and the lifecycle rules are company settings: admins."""
    return _is_active(user) and user.role == Role.ADMIN


def can_manage_catalogue(user: Any) -> bool:
    return _is_active(user) and user.role in CATALOGUE_ROLES


def can_edit_plan(user: Any, customer: Customer) -> bool:
    """Drafting a customer's monthly plan: the card's owner and managers (as for the card)."""
    return _is_active(user) and user.role in SELL_ROLES and can_edit(user, customer)


def can_approve_plan(user: Any, customer: Customer) -> bool:
    """Approving (or returning) a submitted plan: the manager of the card's subtree, the director, admin."""
    if not _is_active(user) or customer.is_archived:
        return False
    if user.role in (Role.DIRECTOR, Role.ADMIN):
        return True
    return user.role == Role.MANAGER and _in_subtree(user, customer)


# --- Field work (kehu.field) ----------------------------------------------------------------------
FIELD_REVIEW_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})


def manages_rep(user: Any, rep: User) -> bool:
    """Whether `user` leads `rep`: a manager over the rep's org unit, the director, admin."""
    if not _is_active(user):
        return False
    if user.role in (Role.DIRECTOR, Role.ADMIN):
        return True
    if user.role != Role.MANAGER or not (user.org_unit_id and rep.org_unit_id):
        return False
    rep_path = rep.org_unit.path if rep.org_unit else ""
    return bool(user.org_unit) and rep_path.startswith(user.org_unit.path)


def can_plan_visits(user: Any, rep: User) -> bool:
    """A rep's visit plans and day routes: the rep (own plans) and whoever leads the rep."""
    if not _is_active(user):
        return False
    if user.pk == rep.pk and user.role in (Role.REP, Role.MANAGER):
        return True
    return manages_rep(user, rep)


def can_review_visit_plan(user: Any, rep: User) -> bool:
    """Approving a rep's week or returning it with a note: the rep's manager, director, admin."""
    return user.pk != rep.pk and manages_rep(user, rep)


def can_visit(user: Any, customer: Customer) -> bool:
    """Checking in and reporting a visit at a card: reps and managers who see it (own or lent cards)."""
    return _is_active(user) and user.role in (Role.REP, Role.MANAGER) and can_view(user, customer)


def can_review_field_work(user: Any) -> bool:
    """The route and territory review, unreturned visits of the team: managers, director, admin."""
    return _is_active(user) and user.role in FIELD_REVIEW_ROLES


def can_hand_over(user: Any, rep: User) -> bool:
    """Arranging a rep's handover (leave or departure): the rep's manager, director, admin; never oneself."""
    return _is_active(user) and user.pk != rep.pk and manages_rep(user, rep)


def works_in_field(user: Any) -> bool:
    """Who has a day of visits (the day page, the visit pack): reps and managers."""
    return _is_active(user) and user.role in (Role.REP, Role.MANAGER)


def sees_handovers(user: Any) -> bool:
    """The handover page: those who arrange handovers, and reps who may have some to acknowledge."""
    return works_in_field(user) or can_review_field_work(user)
