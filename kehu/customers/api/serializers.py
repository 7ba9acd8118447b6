"""Serializers of the customer API. They parse and render; every rule lives in the services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant
from kehu.core.api.fields import MAX_ID, CleanJSONField, IdField
from kehu.customers.models import Contact, Customer, CustomerGroup, CustomField, Tier
from kehu.customers.selectors import contact_mask, customer_mask


class ServiceModelSerializer(serializers.ModelSerializer):
    """Field types, lengths and choices come from the model; validators run once, in the service."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[Any, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("validators", None)
        return field_class, kwargs

    @property
    def user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)


class TagNamesField(serializers.ListField):
    """Tag names in, tag names out (read from the prefetched relation)."""

    def to_representation(self, data: Any) -> list[str]:
        return [tag.name for tag in data.all()]


@extend_schema_field({"type": "string", "pattern": "^[ABCD]?$", "description": "A, B, C, D or empty."})
class CreditRatingField(serializers.ChoiceField):
    """The tier's letters; inlined in the schema so it is not a second name for TierEnum."""


CUSTOMER_FIELDS = [
    "id", "code", "name", "short_name", "kind", "status", "tier", "is_key", "channel_level", "upstream",
    "owner", "org_unit", "industry", "province", "city", "district", "street", "adcode", "address",
    "lat", "lng", "geo_precision", "phone", "credit_code", "credit_rating", "credit_limit",
    "payment_terms_days", "opens_at", "closes_at", "visit_frequency_days", "store_area", "employees",
    "annual_revenue", "brands_carried", "competitor_products", "usual_order_day", "usual_order_size",
    "preferred_delivery", "payment_habit", "notes", "custom", "tags", "completeness", "is_archived",
    "last_visited_at", "last_ordered_at", "version", "created_at", "updated_at", "can_edit", "masked",
]
CUSTOMER_READ_ONLY = [
    "id", "completeness", "is_archived", "last_visited_at", "last_ordered_at", "created_at", "updated_at",
]


class CustomerSerializer(ServiceModelSerializer):
    upstream = IdField(help_text=_("Id of the upstream supplier (another customer)."))
    owner = IdField(help_text=_("Id of the owning rep."))
    org_unit = IdField(help_text=_("Id of the org unit."))
    custom = CleanJSONField(required=False, help_text=_("Custom field values by key."))
    tags = TagNamesField(
        child=serializers.CharField(max_length=40), required=False, max_length=100, help_text=_("Tag names.")
    )
    version = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, required=False,
        help_text=_("The version you read; required on update so concurrent edits are caught."),
    )
    credit_rating = CreditRatingField(choices=[*Tier.choices], allow_blank=True, required=False)
    is_archived = serializers.BooleanField(read_only=True)
    can_edit = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        read_only_fields = CUSTOMER_READ_ONLY
        extra_kwargs = {"code": {"required": False, "allow_blank": True}}

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        if not getattr(instance, "is_masked", False) and not scope.can_see_sensitive(self.user, instance):
            customer_mask(instance)
        return super().to_representation(instance)

    def get_can_edit(self, instance: Customer) -> bool:
        return scope.can_edit(self.user, instance)

    def get_masked(self, instance: Customer) -> bool:
        return bool(getattr(instance, "is_masked", False))


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = serializers.CharField()
    kind = serializers.CharField(help_text=_('"+" created, "~" changed, "-" deleted.'))
    subject = serializers.CharField(
        help_text=_('Empty for the card itself, "contact: <name>" for a contact.')
    )
    changes = HistoryChangeSerializer(many=True)
    note = serializers.CharField(help_text=_("Why, when the change says: a merge names the other card's code."))


class HistoryPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = HistoryEntrySerializer(many=True)


class PurgeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


CONTACT_FIELDS = [
    "id", "customer", "name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary",
    "notes", "version", "masked", "created_at", "updated_at",
]


class ContactSerializer(ServiceModelSerializer):
    customer = IdField(required=True, allow_null=False, help_text=_("Id of the customer card."))
    version = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, instance: Contact) -> dict[str, Any]:
        masked = getattr(instance, "is_masked", False)
        if not masked and not scope.can_see_sensitive(self.user, instance.customer):
            contact_mask(instance)
        return super().to_representation(instance)

    def get_masked(self, instance: Contact) -> bool:
        return bool(getattr(instance, "is_masked", False))


class GroupSerializer(ServiceModelSerializer):
    filters = CleanJSONField(
        required=False, help_text=_("For saved segments: the customer list's filters, name → value.")
    )
    member_count = serializers.SerializerMethodField()
    created_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "kind", "description", "filters", "member_count", "created_by", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_member_count(self, group: CustomerGroup) -> int:
        counter = self.context.get("member_count")
        return int(counter(group)) if counter else 0


class MemberIdsSerializer(serializers.Serializer):
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=1000, allow_empty=False
    )


class MemberChangeSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text=_("How many visible customers were added or removed."))


class TagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    customer_count = serializers.IntegerField(help_text=_("Customers you can see that carry the tag."))


class CustomFieldSerializer(ServiceModelSerializer):
    choices = CleanJSONField(
        required=False, help_text=_('For choice fields: a list of {"value", "label_zh", "label_en"}.')
    )

    class Meta:
        model = CustomField
        fields = [
            "id", "key", "label_zh", "label_en", "field_type", "choices", "is_required", "weight",
            "position", "is_active",
        ]
        read_only_fields = ["id"]


GRANT_FIELDS = [
    "id", "customer", "customer_code", "customer_name", "grantee", "requested_by", "reason", "days",
    "status", "requested_at", "decided_by", "decided_at", "decision_note", "starts_at", "expires_at",
    "is_active",
]


class GrantSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = AccessGrant
        fields = GRANT_FIELDS
        read_only_fields = GRANT_FIELDS

    @extend_schema_field(OpenApiTypes.STR)
    def get_customer_name(self, grant: AccessGrant) -> str:
        """The borrower learns the card's name only while the loan runs; deciders always may."""
        user = self.context["request"].user
        return grant.customer.name if grant.grantee_id != user.pk or grant.is_active else ""


class GrantRequestSerializer(serializers.Serializer):
    customer_code = serializers.CharField(max_length=32, allow_blank=True)
    reason = serializers.CharField(max_length=2000, allow_blank=True)
    days = serializers.IntegerField(min_value=-32768, max_value=32767)


class GrantApproveSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=-32768, max_value=32767, required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class GrantNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
