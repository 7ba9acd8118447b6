"""Admin-defined card fields. Values live in Customer.custom under the field's key."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes/no")


class CustomField(models.Model):
    key = models.CharField(
        _("key"), max_length=40, unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("Lower-case letters, digits and _; start with a letter."))],
    )
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=60)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    choices = models.JSONField(
        _("choices"), default=list, blank=True,
        help_text=_('For choice fields: a list of {"value", "label_zh", "label_en"}.'),
    )
    is_required = models.BooleanField(_("required"), default=False)
    weight = models.PositiveSmallIntegerField(_("completeness weight"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "").startswith("en") else self.label_zh

    def choice_values(self) -> list[str]:
        return [str(c["value"]) for c in self.choices]

    def choice_label(self, value: str) -> str:
        english = (get_language() or "").startswith("en")
        for choice in self.choices:
            if str(choice["value"]) == str(value):
                return str(choice["label_en"] if english else choice["label_zh"])
        return str(value)
