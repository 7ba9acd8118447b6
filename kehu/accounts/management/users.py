"""Creating a user from the command line.

`user_create` is the one write path for new users until accounts gets a services module; the
`createuser` command is a thin adapter over it.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import OrgUnit, Role, User

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
def user_create(
    *,
    username: str,
    role: str,
    org_unit_code: str | None = None,
    password: str | None = None,
    display_name: str = "",
) -> User:
    """Create a user. Without a password the account cannot log in until one is set."""
    user = User(
        username=_username(username),
        role=_role(role),
        display_name=display_name.strip(),
    )
    user.org_unit = _org_unit(org_unit_code, Role(user.role))
    user.is_staff = user.is_superuser = user.role == Role.ADMIN
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
