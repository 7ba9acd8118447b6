"""Make the audit log append-only in the database itself, not only in the ORM."""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION kehu_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON accounts_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION kehu_audit_append_only();",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON accounts_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION kehu_audit_append_only();",
]
DROP_SQLITE = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]
DROP_POSTGRES = [
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON accounts_auditevent;",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON accounts_auditevent;",
    "DROP FUNCTION IF EXISTS kehu_audit_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRES}),
        )
    ]
