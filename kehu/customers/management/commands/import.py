"""`kehu import customers FILE`: check, then import a spreadsheet of customer cards, in this process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.errors import Forbidden
from kehu.customers.imports import (
    ImportFileError,
    format_problem,
    import_check,
    import_commit,
    import_configure,
    import_upload,
)
from kehu.customers.imports.progress import Progress
from kehu.customers.models import ImportJob

BAR = 30
SHOWN_PROBLEMS = 200


class Command(BaseCommand):
    help = "Import customer cards from an .xlsx, .xls or .csv file (check first, then one all-or-nothing write)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["customers"])
        parser.add_argument("file")
        parser.add_argument("--mode", choices=["create", "update", "upsert"], default="create")
        parser.add_argument("--on-error", choices=["skip", "stop"], default="skip", dest="on_error")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--user", help="Import as this user (a custodian or admin; default: the first admin).")
        parser.add_argument("--import-duplicates", action="store_true", help="Also create rows that look like existing cards.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        user = self._user(options.get("user"))
        self._bar_drawn = False
        try:
            with path.open("rb") as handle:
                job = import_upload(user, File(handle, name=path.name))
            job = import_configure(
                job, user, mapping=job.mapping, mode=options["mode"], on_error=options["on_error"],
                import_duplicates=options["import_duplicates"],
            )
            job = import_check(job, user, inline=True, listener=self._draw)
            self._end_bar()
            self._report(job)
            if options["dry_run"] or job.status != ImportJob.Status.CHECKED:
                return self._exit(job, dry_run=True)
            job = import_commit(job, user, inline=True, listener=self._draw)
            self._end_bar()
        except ImportFileError as exc:
            raise CommandError(exc.message) from None
        except Forbidden as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            self._end_bar()
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise CommandError("; ".join(m for ms in messages.values() for m in ms)) from None
        self._exit(job, dry_run=False)

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user %(name)s.") % {"name": username})
            return user
        user = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError(_("Name the importing user with --user."))
        return user

    def _draw(self, progress: Progress) -> None:
        total = progress.total or 1
        filled = int(BAR * progress.done / total)
        label = _("checking") if progress.phase == "check" else _("importing")
        bar = "#" * filled + "." * (BAR - filled)
        self.stderr.write(f"\r{label:>10} [{bar}] {progress.done:,}/{progress.total:,}", ending="")
        self.stderr.flush()
        self._bar_drawn = True

    def _end_bar(self) -> None:
        if self._bar_drawn:
            self.stderr.write("")
            self._bar_drawn = False

    def _report(self, job: ImportJob) -> None:
        for problem in job.problems[:SHOWN_PROBLEMS]:
            self.stdout.write(format_problem(problem))
        if job.problem_count > SHOWN_PROBLEMS:
            self.stdout.write(_("… and %(n)d more problems.") % {"n": job.problem_count - SHOWN_PROBLEMS})
        for entry in job.duplicates[:SHOWN_PROBLEMS]:
            first = entry["matches"][0]
            self.stdout.write(
                _("Row %(row)d, %(name)s: looks like %(other)s (%(reason)s)")
                % {"row": entry["row"], "name": entry["name"], "other": first["code"] or first["name"], "reason": first["reason"]}
            )
        counts = {**dict.fromkeys(("rows", "create", "update", "errors", "duplicates"), 0), **job.summary}
        self.stdout.write(
            _("Checked %(rows)d rows: %(create)d to create, %(update)d to update, %(errors)d with problems, "
              "%(duplicates)d look like existing cards.") % counts
        )

    def _exit(self, job: ImportJob, *, dry_run: bool) -> None:
        if job.error:
            self.stderr.write(job.error)
        if dry_run:
            if job.status != ImportJob.Status.CHECKED:
                sys.exit(1)
            would_write = job.summary.get("create", 0) + job.summary.get("update", 0)
            if job.summary.get("errors") and (job.on_error == "stop" or not would_write):
                sys.exit(1)
            return
        r = job.result
        self.stdout.write(
            _("Imported: %(created)d created, %(updated)d updated, %(skipped)d skipped, %(contacts)d contacts.")
            % {**dict.fromkeys(("created", "updated", "skipped", "contacts"), 0), **r}
        )
        if job.status != ImportJob.Status.DONE or (job.summary.get("errors") and not (r.get("created") or r.get("updated"))):
            sys.exit(1)
