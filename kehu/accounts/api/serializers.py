"""Serializers of the accounts API: login, org units, users, audit events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.accounts.models import AuditEvent, OrgUnit, User
from kehu.core.api.fields import IdField


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = IdField(help_text=_("Id of the parent unit; empty for the top of the tree."))

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "parent"]
        read_only_fields = ["id"]
        extra_kwargs = {"code": {"validators": []}}


class UserSerializer(serializers.ModelSerializer):
    org_unit = IdField(help_text=_("Id of the user's org unit."))
    password = serializers.CharField(
        write_only=True, required=False, max_length=256, trim_whitespace=False,
        style={"input_type": "password"},
        help_text=_("Initial password when creating; a new one resets it."),
    )

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "org_unit", "is_active", "password"]
        read_only_fields = ["id"]
        extra_kwargs = {"username": {"validators": []}}


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "username", "action", "object_type", "object_id", "object_repr", "ip",
                  "detail"]
        read_only_fields = fields
