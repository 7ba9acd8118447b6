"""The body of `POST /api/v1/customers/{id}/merge/`: the card `{id}` survives, `merged` is merged into it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.customers.merge_selectors import CHOICES


class MergeSerializer(serializers.Serializer):
    merged = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text=_("Id of the card merged into this one (it becomes an archived tombstone).")
    )
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1, help_text=_("Version of the surviving card."))
    merged_version = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, help_text=_("Version of the merged card.")
    )
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=CHOICES), required=False, default=dict,
        help_text=_(
            'Differing field → "survivor" or "merged" (custom fields as "custom.<key>"). A field left out keeps '
            "the survivor's value, or the merged card's when only that one is filled in."
        ),
    )
