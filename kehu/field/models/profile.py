"""A rep's working week for field work: days, hours, the base the day starts and ends at."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core import validators as v


class FieldProfile(models.Model):
    """One per rep. Missing profiles read as the defaults (see `FieldProfile.for_user`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="field_profile", verbose_name=_("user")
    )
    # ISO weekdays the rep works, as digits: "12345" is Monday to Friday.
    work_days = models.CharField(_("working days"), max_length=7, default="12345")
    day_starts_at = models.TimeField(_("day starts at"), default=time(8, 30))
    day_ends_at = models.TimeField(_("day ends at"), default=time(17, 30))
    base_label = models.CharField(_("start and end point"), max_length=200, blank=True)
    base_lat = models.DecimalField(
        _("base latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[v.validate_latitude]
    )
    base_lng = models.DecimalField(
        _("base longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[v.validate_longitude]
    )
    service_minutes = models.PositiveSmallIntegerField(_("minutes per visit"), default=20)
    max_visits_per_day = models.PositiveSmallIntegerField(_("at most visits a day"), default=12)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("field profile")
        verbose_name_plural = _("field profiles")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def for_user(cls, user: object) -> FieldProfile:
        """The saved profile, or an unsaved one with the defaults."""
        profile = cls.objects.filter(user=user).first()
        return profile or cls(user=user)  # type: ignore[misc]

    @property
    def weekdays(self) -> list[int]:
        return sorted({int(d) for d in self.work_days if d in "1234567"})

    @property
    def has_base(self) -> bool:
        return self.base_lat is not None and self.base_lng is not None
