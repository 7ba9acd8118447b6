"""Writes to the organisation: org units and users. Atomic; administrators' changes are audited
(SETTINGS). The API, the admin site and `kehu createuser` all create users through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, OrgUnit, Role, User
from kehu.core.errors import Forbidden, NotFound

USER_ATTRS = frozenset({"username", "display_name", "role", "org_unit", "is_active", "password", "email"})
ORG_UNIT_ATTRS = frozenset({"code", "name", "parent"})


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.role == Role.ADMIN):
        raise Forbidden(_("Only an administrator can change the organisation."))


def _refuse_unknown(data: dict[str, Any], known: frozenset[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _org_unit_or_error(unit_id: int | None, field: str) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError({field: [_("No such org unit.")]})
    return unit


@transaction.atomic
def org_unit_create(*, actor: User, data: dict[str, Any], request: HttpRequest | None = None) -> OrgUnit:
    _require_admin(actor)
    _refuse_unknown(data, ORG_UNIT_ATTRS)
    unit = OrgUnit(code=str(data.get("code", "")).strip(), name=str(data.get("name", "")).strip())
    unit.parent = _org_unit_or_error(data.get("parent"), "parent")
    _full_clean(unit, exclude=["path"])
    unit.save()
    unit.path = unit.compute_path()
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=unit, request=request,
                 detail={"org_unit": unit.code, "change": "create"})
    return unit


@transaction.atomic
def org_unit_update(
    *, actor: User, unit_id: int, data: dict[str, Any], request: HttpRequest | None = None
) -> OrgUnit:
    """Rename, recode or move a unit; moving rewrites the paths of its whole subtree in one UPDATE."""
    _require_admin(actor)
    _refuse_unknown(data, ORG_UNIT_ATTRS)
    unit = OrgUnit.objects.select_for_update().filter(pk=unit_id).first()
    if unit is None:
        raise NotFound
    for name in ("code", "name"):
        if name in data:
            setattr(unit, name, str(data[name]).strip())
    old_path = unit.path
    if "parent" in data:
        parent = _org_unit_or_error(data["parent"], "parent")
        if parent is not None and parent.path.startswith(old_path):
            raise ValidationError({"parent": [_("A unit cannot move under itself or its own sub-units.")]})
        unit.parent = parent
    _full_clean(unit, exclude=["path"])
    unit.path = unit.compute_path()
    unit.save()
    if unit.path != old_path:
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1))
        )
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=unit, request=request,
                 detail={"org_unit": unit.code, "change": "update", "fields": sorted(data)})
    return unit


def _apply_user(user: User, data: dict[str, Any]) -> None:
    for name in ("username", "display_name", "role", "email", "is_active"):
        if name in data:
            value = data[name]
            setattr(user, name, value.strip() if isinstance(value, str) else value)
    if "org_unit" in data:
        user.org_unit = _org_unit_or_error(data["org_unit"], "org_unit")
    if data.get("password"):
        try:
            validate_password(data["password"], user)
        except ValidationError as exc:
            raise ValidationError({"password": list(exc.messages)}) from None
        user.set_password(data["password"])
    _sync_staff(user)
    _full_clean(user, exclude=["password"])


def _sync_staff(user: User) -> None:
    """Administrators use Django's admin site; nobody else gets in there."""
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


@transaction.atomic
def user_create(*, actor: User, data: dict[str, Any], request: HttpRequest | None = None) -> User:
    _require_admin(actor)
    _refuse_unknown(data, USER_ATTRS)
    if not data.get("password"):
        raise ValidationError({"password": [_("Set an initial password.")]})
    user = User(role=Role.REP)
    _apply_user(user, data)
    user.save()
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=user, request=request,
                 detail={"user": user.username, "change": "create", "role": user.role})
    return user


@transaction.atomic
def user_update(
    *, actor: User, user_id: int, data: dict[str, Any], request: HttpRequest | None = None
) -> User:
    _require_admin(actor)
    _refuse_unknown(data, USER_ATTRS)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound
    if user.pk == actor.pk and (data.get("is_active") is False or data.get("role", Role.ADMIN) != Role.ADMIN):
        raise ValidationError(
            {"role": [_("You cannot demote or deactivate yourself; ask another administrator.")]}
        )
    _apply_user(user, data)
    user.save()
    detail = {"user": user.username, "change": "update", "fields": sorted(set(data) - {"password"})}
    if data.get("password"):
        detail["password_reset"] = True
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=user, request=request, detail=detail)
    return user


# --- the `kehu createuser` command: names and codes typed by a person --------------------

ROLES_NEEDING_UNIT = frozenset({Role.REP, Role.MANAGER})


def _role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        message = _("Unknown role '%(role)s'. Choose one of: %(choices)s.") % {
            "role": value,
            "choices": ", ".join(Role.values),
        }
        raise ValidationError({"role": [message]}) from None


def _org_unit(code: str | None, role: Role) -> OrgUnit | None:
    if not code:
        if role in ROLES_NEEDING_UNIT:
            message = _("A user with the role %(role)s needs an org unit: add --org-unit CODE.")
            raise ValidationError({"org_unit": [message % {"role": role.value}]})
        return None
    unit = OrgUnit.objects.filter(code=code.strip()).first()
    if unit is None:
        known = list(OrgUnit.objects.order_by("code").values_list("code", flat=True)[:30])
        message = _("No org unit has the code '%(code)s'.") % {"code": code}
        hint = (
            _("Known codes: %(codes)s.") % {"codes": ", ".join(known)}
            if known
            else _("No org units exist yet.")
        )
        raise ValidationError({"org_unit": [f"{message} {hint}"]})
    return unit


def _username(value: str) -> str:
    username = value.strip()
    if not username:
        raise ValidationError({"username": [_("Enter a username.")]})
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": [_("A user named '%(name)s' already exists.") % {"name": username}]}
        )
    return username


@transaction.atomic
def user_create_from_command(
    *,
    username: str,
    role: str,
    org_unit_code: str | None = None,
    password: str | None = None,
    display_name: str = "",
) -> User:
    """Create a user from the command line (no acting user). Without a password the account cannot
    log in until one is set."""
    user = User(
        username=_username(username),
        role=_role(role),
        display_name=display_name.strip(),
    )
    user.org_unit = _org_unit(org_unit_code, Role(user.role))
    _sync_staff(user)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    user.save()
    return user
