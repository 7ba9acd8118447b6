"""`kehu createuser NAME --role ROLE [--org-unit CODE] [--password P] [--display-name D]`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import Role
from kehu.accounts.services import user_create_from_command


class Command(BaseCommand):
    help = "Create a user and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}.")
        parser.add_argument(
            "--org-unit", dest="org_unit", help="Code of the user's org unit (needed for rep, manager)."
        )
        parser.add_argument(
            "--password", help="Without it the account cannot log in until `kehu changepassword`."
        )
        parser.add_argument("--display-name", dest="display_name", default="", help="Name shown in the UI.")

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        org_unit: str | None,
        password: str | None,
        display_name: str,
        **options: Any,
    ) -> None:
        try:
            user = user_create_from_command(
                username=username,
                role=role,
                org_unit_code=org_unit,
                password=password,
                display_name=display_name,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        if password is None:
            self.stderr.write(
                f"No password set: run `kehu changepassword {user.username}` before logging in."
            )
        self.stdout.write(str(user.pk))


def _messages(exc: ValidationError) -> str:
    return " ".join(message for messages in exc.message_dict.values() for message in messages)
