"""A rep's field profile (working days, hours, base point, minutes per visit, visits a day)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.accounts.scope import can_plan_visits
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.field.models import FieldProfile
from kehu.field.selectors.plans import rep_is_visible

FIELDS = ("work_days", "day_starts_at", "day_ends_at", "base_label", "base_lat", "base_lng",
          "service_minutes", "max_visits_per_day")


def can_edit_profile(user: Any, rep: User) -> bool:
    """The rep themself and whoever leads the rep (same rule as planning their visits)."""
    return can_plan_visits(user, rep)


def _validate(profile: FieldProfile) -> None:
    errors: dict[str, list[str]] = {}
    days = profile.work_days or ""
    if not days or any(d not in "1234567" for d in days) or len(set(days)) != len(days):
        errors["work_days"] = [_("Pick at least one working day.")]
    else:
        profile.work_days = "".join(sorted(days))
    if profile.day_starts_at >= profile.day_ends_at:
        errors["day_ends_at"] = [_("The day must end after it starts.")]
    if (profile.base_lat is None) != (profile.base_lng is None):
        errors["base_lng" if profile.base_lng is None else "base_lat"] = [_("Give both latitude and longitude, or neither.")]
    if not 1 <= profile.service_minutes <= 480:
        errors["service_minutes"] = [_("Between 1 and 480 minutes.")]
    if not 1 <= profile.max_visits_per_day <= 100:
        errors["max_visits_per_day"] = [_("Between 1 and 100 visits.")]
    try:
        profile.full_clean(exclude=["user", "version", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def field_profile_update(*, actor: Any, rep: User, data: dict[str, Any], version: Any,
                         request: HttpRequest | None = None) -> FieldProfile:
    """Change the given fields of the rep's profile (created with the defaults when missing)."""
    if not rep_is_visible(actor, rep):
        raise NotFound
    if not can_edit_profile(actor, rep):
        raise Forbidden(_("You may not change this rep's field profile."))
    FieldProfile.objects.get_or_create(user=rep)  # the defaults, version 1: what the reader saw
    profile = FieldProfile.objects.select_for_update().get(user=rep)
    if version is None:
        raise ValidationError({"version": [_("Send the version you read.")]})
    if parse_version(version) != profile.version:
        raise VersionConflict(profile)
    before = {name: str(getattr(profile, name)) for name in FIELDS}
    for name in FIELDS:
        if name in data:
            setattr(profile, name, data[name])
    _validate(profile)
    after = {name: str(getattr(profile, name)) for name in FIELDS}
    changed = {name: [before[name], after[name]] for name in FIELDS if before[name] != after[name]}
    profile.version += 1
    profile.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=profile, request=request, detail={"changed": changed})
    return profile

