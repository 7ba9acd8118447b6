"""Users, the org-unit tree, loans of cards (借阅) and the append-only audit log."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Manager")
    DIRECTOR = "director", _("Director")
    FINANCE = "finance", _("Finance")
    CUSTODIAN = "custodian", _("Data custodian")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class OrgUnit(models.Model):
    """A node of the sales organisation (HQ → region → area). `path` makes subtrees one LIKE."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id and self.parent else "/"
        return f"{prefix}{self.pk}/"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("org unit"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def active(self, at: datetime | None = None) -> AccessGrantQuerySet:
        moment = at or timezone.now()
        return self.filter(status=GrantStatus.APPROVED, starts_at__lte=moment, expires_at__gt=moment)


class AccessGrant(models.Model):
    """A loan (借阅) of one card to one user: requested, decided, and ending by itself at expiry."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="grants", verbose_name=_("customer")
    )
    grantee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="grants", verbose_name=_("borrower")
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    reason = models.TextField(_("reason"))
    days = models.PositiveSmallIntegerField(_("duration (days)"))
    status = models.CharField(
        _("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("card loan")
        verbose_name_plural = _("card loans")
        indexes = [
            models.Index(fields=["grantee", "status", "expires_at"], name="grant_grantee_active_idx"),
            models.Index(fields=["customer", "status"], name="grant_customer_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.grantee_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return (
            self.status == GrantStatus.APPROVED
            and self.starts_at is not None
            and self.expires_at is not None
            and self.starts_at <= now < self.expires_at
        )

    @property
    def is_expired(self) -> bool:
        return self.status == GrantStatus.APPROVED and self.expires_at is not None and (
            self.expires_at <= timezone.now()
        )


class AuditAction(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    ARCHIVE = "archive", _("Archive")
    RESTORE = "restore", _("Restore")
    DELETE = "delete", _("Delete")
    PURGE = "purge", _("Purge")
    EXPORT = "export", _("Export")
    PRINT = "print", _("Print")
    GRANT_REQUEST = "grant_request", _("Loan requested")
    GRANT_APPROVE = "grant_approve", _("Loan approved")
    GRANT_REFUSE = "grant_refuse", _("Loan refused")
    GRANT_REVOKE = "grant_revoke", _("Loan revoked")
    LOGIN = "login", _("Login")
    LOGOUT = "logout", _("Logout")
    LOGIN_FAILED = "login_failed", _("Failed login")
    BULK_VIEW_FLAG = "bulk_view_flag", _("Bulk viewing flagged")
    SETTINGS = "settings", _("Settings changed")
    IMPORT = "import", _("Import")
    MERGE = "merge", _("Merge")
    GROUP_CHANGE = "group_change", _("Group changed")
    STATUS_CHANGE = "status_change", _("Status changed")
    CREDIT_HOLD = "credit_hold", _("Credit hold")
    CREDIT_DECISION = "credit_decision", _("Credit decision")
    APPROVE = "approve", _("Approved")
    ALLOCATE = "allocate", _("Payment allocated")
    CHECK_IN = "check_in", _("Checked in")
    VISIT_REPORT = "visit_report", _("Visit reported")
    REASSIGN = "reassign", _("Customer reassigned")
    HANDOVER = "handover", _("Handover")
    ACKNOWLEDGE = "acknowledge", _("Acknowledged")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One line of the append-only audit log. Database triggers refuse UPDATE and DELETE."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["actor", "action", "at"], name="audit_actor_action_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")

    @property
    def object_type_label(self) -> str:
        """The object's kind in the reader's language (stored as a model name, e.g. 'customer')."""
        from django.apps import apps

        for model in apps.get_models():
            if model._meta.model_name == self.object_type:
                return str(model._meta.verbose_name)
        return self.object_type
