"""`/api/v1/imports/`: customer import jobs — upload, map, check (dry run), commit, cancel.

The same engine services as the web wizard (kehu.customers.imports). Only roles that may import
reach any of it (403 otherwise); another person's job answers 404 like a missing one.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from kehu.accounts import scope
from kehu.core.api.fields import parse_id, refuse_unknown_fields
from kehu.core.errors import NotFound
from kehu.customers.api.customers import FileFormatNegotiation
from kehu.customers.forms.imports import check_upload_size, duplicate_rows
from kehu.customers.imports import (
    ImportFileError,
    import_cancel,
    import_check,
    import_commit,
    import_configure,
    import_jobs_visible_to,
    import_progress,
    import_template,
    import_upload,
)
from kehu.customers.models import ImportJob, ImportMode, OnError

COLUMN_INDEX = re.compile(r"[0-9]{1,6}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_LANGUAGES = {"zh": "zh-hans", "en": "en"}
WORKING = {ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING}
LIST_FIELDS = (
    "id", "created_by", "created_at", "updated_at", "original_name", "file_format", "total_rows", "mode",
    "on_error", "import_duplicates", "status", "summary", "problem_count", "result", "error", "started_at",
    "finished_at",
)


class CanImport(permissions.BasePermission):
    message = gettext_lazy("Only a custodian or an administrator can import customers.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and scope.can_import(request.user))


class ProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    phase = serializers.CharField(allow_null=True)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportJobListSerializer(serializers.ModelSerializer):
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)

    class Meta:
        model = ImportJob
        fields = LIST_FIELDS
        read_only_fields = fields


class DuplicateMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: an earlier row of the same file.")
    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class DuplicateRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    matches = DuplicateMatchSerializer(many=True, help_text="Only cards the asking user may see.")
    hidden = serializers.IntegerField(help_text="Matching cards the asking user may not see.")


class ImportJobSerializer(ImportJobListSerializer):
    """One job with what the wizard shows: columns, samples, guessed mapping, duplicates, live progress."""

    progress = serializers.SerializerMethodField()
    duplicates = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = (*LIST_FIELDS, "encoding", "headers", "sample_rows", "mapping", "duplicates", "progress")
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict[str, Any]:
        return import_progress(job)

    @extend_schema_field(DuplicateRowSerializer(many=True))
    def get_duplicates(self, job: ImportJob) -> list[dict[str, Any]]:
        rows = duplicate_rows(self.context["request"].user, job.duplicates or [])
        return DuplicateRowSerializer(rows, many=True).data


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An .xlsx, .xls or .csv file; the first row names the columns.")

    def validate_file(self, uploaded: Any) -> Any:
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            check_upload_size(uploaded)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return uploaded


class ConfigureSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False,
        help_text='Column index (as a string) → target key, e.g. {"0": "name", "1": "code", "2": ""}; '
                  '"" leaves the column out. Columns not named keep their current target.',
    )
    mode = serializers.ChoiceField(choices=ImportMode.choices, required=False)
    on_error = serializers.ChoiceField(choices=OnError.choices, required=False)
    import_duplicates = serializers.BooleanField(required=False)

    def validate_mapping(self, mapping: dict[str, str]) -> dict[int, str]:
        columns = len(self.context["job"].headers or [])
        parsed: dict[int, str] = {}
        for key, target in mapping.items():
            text = str(key)
            if not COLUMN_INDEX.fullmatch(text) or int(text) >= columns:
                raise serializers.ValidationError(
                    _("“%(key)s” is not a column of this file: use a column index from 0 to %(last)s.")
                    % {"key": text[:50], "last": columns - 1}
                )
            parsed[int(text)] = target
        return parsed


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The spreadsheet row number (the header is row 1).")
    column = serializers.CharField(help_text="The column's header text.")
    field = serializers.CharField(help_text="The target the column is mapped to.")
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField(help_text="What is wrong and what would be accepted, in the user's language.")


class ProblemListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="All problems found; `results` holds the first 1000.")
    results = ProblemSerializer(many=True)


ACCEPTED = OpenApiResponse(ImportJobSerializer, description="Large file: the work runs in the background; "
                                                            "poll the job's `progress`.")


@extend_schema_view(
    list=extend_schema(summary="The asking user's import jobs (custodians and admins: everyone's), newest first."),
    retrieve=extend_schema(summary="One job with its columns, mapping, summary and live progress."),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scoped = True
    permission_classes = [permissions.IsAuthenticated, CanImport]
    serializer_class = ImportJobSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    ordering_fields = ("created_at",)
    default_ordering = ("-created_at", "-id")
    lookup_value_regex = r"[0-9]+"
    filterset_class = None
    filter_backends: list[Any] = []
    queryset = ImportJob.objects.none()

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_jobs_visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ImportJobListSerializer if self.action == "list" else ImportJobSerializer

    def _get(self, pk: Any) -> ImportJob:
        job = self.get_queryset().filter(pk=parse_id(pk)).first()
        if job is None:
            raise NotFound
        return job

    def _answer(self, job: ImportJob, code: int = status.HTTP_200_OK) -> Response:
        job.refresh_from_db()
        if code == status.HTTP_200_OK and job.status in WORKING:
            code = status.HTTP_202_ACCEPTED
        return Response(ImportJobSerializer(job, context=self.get_serializer_context()).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._get(kwargs["pk"])).data)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: ImportJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = import_upload(request.user, body.validated_data["file"])
        except ImportFileError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return self._answer(job, status.HTTP_201_CREATED)

    @extend_schema(request=ConfigureSerializer, responses={200: ImportJobSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = self._get(kwargs["pk"])
        body = ConfigureSerializer(data=request.data, context={"job": job})
        refuse_unknown_fields(request.data, body.fields)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        mapping = {int(i): key for i, key in (job.mapping or {}).items() if str(i).isdigit()}
        mapping.update(data.get("mapping", {}))
        job = import_configure(
            job, request.user, mapping=mapping, mode=data.get("mode", job.mode or "create"),
            on_error=data.get("on_error", job.on_error or "skip"),
            import_duplicates=data.get("import_duplicates", bool(job.import_duplicates)),
        )
        return self._answer(job)

    @extend_schema(request=None, responses={200: ImportJobSerializer, 202: ACCEPTED})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str) -> Response:
        """The dry run: every row read and validated, nothing written; `summary`, `problems`, `duplicates`."""
        return self._answer(import_check(self._get(pk), request.user))

    @extend_schema(request=None, responses={200: ImportJobSerializer, 202: ACCEPTED})
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str) -> Response:
        """The all-or-nothing write of a checked job; `result` holds the counts."""
        return self._answer(import_commit(self._get(pk), request.user))

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Stops a check or an import in progress; nothing is written."""
        return self._answer(import_cancel(self._get(pk), request.user))

    @extend_schema(responses={200: ProblemListSerializer})
    @action(detail=True, methods=["get"], pagination_class=None)
    def problems(self, request: Request, pk: str) -> Response:
        """Every stored problem (the first 1000) of the last check: row, column, field, value, message."""
        job = self._get(pk)
        return Response({"count": job.problem_count or 0, "results": job.problems or []})

    @extend_schema(
        summary="The import template (.xlsx): the columns in Chinese or English, a sample row, an explanation sheet.",
        parameters=[OpenApiParameter("lang", str, enum=list(TEMPLATE_LANGUAGES), default="zh")],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], pagination_class=None, content_negotiation_class=FileFormatNegotiation)
    def template(self, request: Request) -> HttpResponse:
        wanted = request.query_params.get("lang") or "zh"
        if wanted not in TEMPLATE_LANGUAGES:
            raise serializers.ValidationError({"lang": [_("Choose zh or en.")]})
        response = HttpResponse(import_template(TEMPLATE_LANGUAGES[wanted]), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="kehu-import-template-{wanted}.xlsx"'
        return response
