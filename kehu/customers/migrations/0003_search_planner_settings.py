"""PostgreSQL: keep the trigram index's pending list empty and give the planner real statistics
for `search_text` LIKE patterns (benchmark slow spots 7 and 9 in docs/benchmarks.md)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS cust_search_trgm_idx SET (fastupdate = off);")
    schema_editor.execute("ALTER TABLE customers_customer ALTER COLUMN search_text SET STATISTICS 1000;")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX IF EXISTS cust_search_trgm_idx RESET (fastupdate);")
    schema_editor.execute("ALTER TABLE customers_customer ALTER COLUMN search_text SET STATISTICS -1;")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_trigram")]

    operations = [migrations.RunPython(forwards, backwards)]
