"""Make the audit log append-only in the database itself, not only in the ORM."""

from django.db import migrations

from kehu.accounts.db_triggers import install_append_only_triggers, remove_append_only_triggers


def forwards(apps, schema_editor):
    install_append_only_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    remove_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
