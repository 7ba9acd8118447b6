"""Customer imports: one ImportJob per uploaded file, and the column mapping a user last chose per header row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new cards only")
    UPDATE = "update", _("Update cards by code")
    UPSERT = "upsert", _("Update by code, create the rest")


class OnError(models.TextChoices):
    SKIP = "skip", _("Skip rows with errors, import the rest")
    STOP = "stop", _("Import nothing while any row has an error")


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CONFIGURED = "configured", _("Configured")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8)  # xlsx | xls | csv
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    headers = models.JSONField(_("headers"), default=list)
    sample_rows = models.JSONField(_("sample rows"), default=list)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    mapping = models.JSONField(_("mapping"), default=dict)
    mode = models.CharField(_("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.CREATE)
    on_error = models.CharField(_("on error"), max_length=8, choices=OnError.choices, default=OnError.SKIP)
    import_duplicates = models.BooleanField(_("import likely duplicates"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    summary = models.JSONField(_("summary"), default=dict)
    problems = models.JSONField(_("problems"), default=list)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    duplicates = models.JSONField(_("likely duplicates"), default=list)
    result = models.JSONField(_("result"), default=dict)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        indexes = [models.Index(fields=["created_by", "created_at"], name="import_job_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("customers:import-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


class ImportMapping(models.Model):
    """The mapping a user confirmed for a header row (its signature), offered again for the same headers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_mappings")
    signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "signature"], name="import_mapping_user_sig_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.signature[:8]}"
