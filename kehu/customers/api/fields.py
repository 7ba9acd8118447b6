"""`/api/v1/custom-fields/`: everyone reads the active fields; administrators define them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.accounts import scope
from kehu.core.api.fields import parse_id, refuse_unknown_fields
from kehu.core.errors import NotFound
from kehu.customers.api.serializers import CustomFieldSerializer
from kehu.customers.models import CustomField
from kehu.customers.services import fields as field_services


class CustomFieldViewSet(viewsets.ModelViewSet):
    serializer_class = CustomFieldSerializer
    ordering_fields = ("position", "key")
    default_ordering = ("position", "id")
    lookup_value_regex = r"[0-9]+"
    filterset_class = None
    queryset = CustomField.objects.none()

    def get_queryset(self) -> QuerySet[CustomField]:
        fields = CustomField.objects.all()
        # Administrators also see retired fields, to bring them back.
        return fields if scope.can_manage_custom_fields(self.request.user) else fields.filter(is_active=True)

    def _get(self, pk: Any) -> CustomField:
        field = self.get_queryset().filter(pk=parse_id(pk)).first()
        if field is None:
            raise NotFound
        return field

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._field_data(request, partial=False)
        field = field_services.custom_field_create(actor=request.user, data=data, request=request)
        return Response(self.get_serializer(field).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._field_data(request, partial=kwargs.get("partial", False))
        field = field_services.custom_field_update(
            actor=request.user, field_id=parse_id(kwargs["pk"]), data=data, request=request
        )
        return Response(self.get_serializer(field).data)

    @extend_schema(summary="Retire a custom field (is_active=false); stored values are kept.")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        field_id = parse_id(kwargs["pk"])
        field_services.custom_field_deactivate(actor=request.user, field_id=field_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _field_data(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        refuse_unknown_fields(request.data, serializer.fields)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
