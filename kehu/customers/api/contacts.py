"""`/api/v1/contacts/`: the people of a card. Masked for whoever may see the card but not edit it."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.core.api.fields import IdFilter, parse_id, refuse_unknown_fields
from kehu.core.api.filters import StrictFilterBackend
from kehu.core.errors import NotFound
from kehu.customers import services
from kehu.customers.api.serializers import ContactSerializer
from kehu.customers.models import Contact


class ContactFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id", label=_("customer"))

    class Meta:
        model = Contact
        fields: list[str] = []


CONFLICT = OpenApiResponse(
    description=gettext_lazy("Stale version: the body carries the current record under `current`.")
)


@extend_schema_view(
    update=extend_schema(responses={200: ContactSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: ContactSerializer, 409: CONFLICT}),
)
class ContactViewSet(viewsets.ModelViewSet):
    scoped = True
    serializer_class = ContactSerializer
    conflict_serializer = ContactSerializer
    filterset_class = ContactFilter
    filter_backends = [StrictFilterBackend]
    ordering_fields = ("name", "updated_at")
    default_ordering = ("-id",)
    lookup_value_regex = r"[0-9]+"
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        return Contact.objects.visible_to(self.request.user).select_related("customer__org_unit")

    def _get(self, pk: Any) -> Contact:
        contact = self.get_queryset().filter(pk=parse_id(pk)).first()
        if contact is None:
            raise NotFound
        return contact

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._contact_data(request, partial=False)
        data.pop("version", None)
        customer_id = data.pop("customer")
        contact = services.contact_create(
            actor=request.user, customer_id=customer_id, data=data, request=request
        )
        return Response(self.get_serializer(self._get(contact.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = self._get(kwargs["pk"])
        data = self._contact_data(request, partial=kwargs.get("partial", False))
        version = data.pop("version", None)
        if data.pop("customer", contact.customer_id) != contact.customer_id:
            raise ValidationError({"customer": [_("A contact cannot move to another card.")]})
        services.contact_update(
            actor=request.user, contact_id=contact.pk, data=data, version=version, request=request
        )
        return Response(self.get_serializer(self._get(contact.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.contact_delete(actor=request.user, contact_id=parse_id(kwargs["pk"]), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _contact_data(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, serializer.fields)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
