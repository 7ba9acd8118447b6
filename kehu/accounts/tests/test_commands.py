"""`kehu createuser`: creates a user and prints its id, or says clearly what is wrong."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, ManagementUtility, call_command

from kehu.accounts.models import Role, User

PASSWORD = "kehu-cmd-pass-2026"


def createuser(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("createuser", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_a_user_and_prints_its_id(world):
    out, _err = createuser(
        "dave", "--role", "rep", "--org-unit", "BJ", "--password", PASSWORD, "--display-name", "戴维"
    )
    user = User.objects.get(username="dave")
    assert out.strip() == str(user.pk)
    assert (user.role, user.org_unit, user.display_name) == (Role.REP, world.beijing, "戴维")
    assert not user.is_staff
    assert authenticate(username="dave", password=PASSWORD) == user


def test_it_accepts_the_role_in_any_case(world):
    createuser("erin", "--role", "Auditor", "--password", PASSWORD)
    assert User.objects.get(username="erin").role == Role.AUDITOR


def test_an_admin_may_use_the_admin_site(world):
    createuser("root2", "--role", "admin", "--org-unit", "HQ", "--password", PASSWORD)
    user = User.objects.get(username="root2")
    assert user.is_staff and user.is_superuser


def test_without_a_password_the_account_cannot_log_in_yet(world):
    out, err = createuser("frank", "--role", "director")
    user = User.objects.get(username="frank")
    assert out.strip() == str(user.pk)
    assert not user.has_usable_password()
    assert "changepassword frank" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gina", "--role", "boss"], "Unknown role 'boss'"),
        (["gina", "--role", "rep", "--org-unit", "NOPE"], "No org unit has the code 'NOPE'"),
        (["gina", "--role", "manager"], "needs an org unit"),
        (["ALICE", "--role", "rep", "--org-unit", "BJ"], "A user named 'ALICE' already exists"),
        (["gina", "--role", "rep", "--org-unit", "BJ", "--password", "123"], "too short"),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(world, args, message):
    before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        createuser(*args)
    assert User.objects.count() == before


def test_the_console_prints_the_error_without_a_traceback(world, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["kehu", "createuser", "gina", "--role", "boss"]).execute()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "CommandError: Unknown role 'boss'" in err
    assert "Traceback" not in err
