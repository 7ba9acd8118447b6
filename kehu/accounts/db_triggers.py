"""Database triggers that make the audit log append-only (SQLite and PostgreSQL).

Installed by migration accounts/0003. Tests that must empty the whole database between runs
(browser tests on a live server) lift them for the flush and put them back.
"""

from __future__ import annotations

from typing import Any

INSTALL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON accounts_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON accounts_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION kehu_audit_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;",
        "DROP TRIGGER IF EXISTS audit_no_update_delete ON accounts_auditevent;",
        "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON accounts_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION kehu_audit_append_only();",
        "DROP TRIGGER IF EXISTS audit_no_truncate ON accounts_auditevent;",
        "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON accounts_auditevent "
        "FOR EACH STATEMENT EXECUTE FUNCTION kehu_audit_append_only();",
    ],
}
REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_no_update_delete ON accounts_auditevent;",
        "DROP TRIGGER IF EXISTS audit_no_truncate ON accounts_auditevent;",
    ],
}


def _execute(connection: Any, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def install_append_only_triggers(connection: Any) -> None:
    _execute(connection, INSTALL)


def remove_append_only_triggers(connection: Any) -> None:
    _execute(connection, REMOVE)
