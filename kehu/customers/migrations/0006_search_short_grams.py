"""PostgreSQL: an index for one- and two-character Chinese searches (bench slow spot 5).

`search_text LIKE '%兴旺%'` cannot use the trigram index when the needle is shorter than three
characters, so PostgreSQL read every card. `kehu_han_grams(search_text)` is the set of the one- and
two-character substrings of the non-ASCII (Chinese) words of the search key — name and short name;
a GIN index over it answers `kehu_han_grams(search_text) @> ARRAY['兴旺']` (see filters.py). The
function is IMMUTABLE and the index is maintained by PostgreSQL itself: no service has to fill it.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION kehu_han_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(w, i, n)), '{}')
  FROM regexp_split_to_table(regexp_replace(t, '[\x01-\x7f]+', ' ', 'g'), ' ') AS w,
       generate_series(1, 2) AS n,
       generate_series(1, char_length(w)) AS i
  WHERE w <> '' AND i + n - 1 <= char_length(w)
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cust_search_grams_idx ON customers_customer "
        "USING gin (kehu_han_grams(search_text)) WITH (fastupdate = off);"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cust_search_grams_idx;")
    schema_editor.execute("DROP FUNCTION IF EXISTS kehu_han_grams(text);")


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_import_job")]

    operations = [migrations.RunPython(forwards, backwards)]
