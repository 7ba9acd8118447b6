"""SQLite: a trigram full-text index over the search key (bench slow spot 5 on SQLite).

`search_text LIKE '%bjhd%'` reads every card on SQLite (no trigram index as on PostgreSQL): 200-400 ms
at 100,000 cards. FTS5's trigram tokenizer (SQLite >= 3.34) answers `LIKE '%…%'` for needles of three
characters or more from its index. The table holds no copy of the text (external content: the cards
table) and triggers keep it in step with every write — services, bulk imports and raw inserts alike.
Shorter needles still scan (filters.py).
"""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS customers_search_fts USING fts5("
    "search_text, content='customers_customer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS customers_search_fts_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_search_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_search_fts_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_search_fts(customers_search_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_search_fts_au AFTER UPDATE OF search_text ON customers_customer BEGIN "
    "INSERT INTO customers_search_fts(customers_search_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO customers_search_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO customers_search_fts(customers_search_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS customers_search_fts_au",
    "DROP TRIGGER IF EXISTS customers_search_fts_ad",
    "DROP TRIGGER IF EXISTS customers_search_fts_ai",
    "DROP TABLE IF EXISTS customers_search_fts",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_search_short_grams")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
