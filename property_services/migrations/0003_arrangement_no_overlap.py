"""No two management arrangements of one estate are in effect on the same day, held by the database.

The partial unique index of 0002 allows one open arrangement per estate; this adds the rule for
closed periods too:
- PostgreSQL: an exclusion constraint over (estate, daterange(starts_on, ended_on, '[]')), which
  needs the btree_gist extension (a trusted extension since PostgreSQL 13: the database owner may
  create it). It is race-free: two concurrent inserts cannot both pass.
- SQLite: triggers refuse an overlapping insert or update. SQLite runs one writer at a time (and
  our connections begin IMMEDIATE), so the check cannot race either.
The services also lock the estate row and check first, to give people a clear message.
"""

from django.db import migrations

TABLE = "property_services_managementarrangement"

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist;",
    f"""
    ALTER TABLE {TABLE} ADD CONSTRAINT arrangement_periods_do_not_overlap
    EXCLUDE USING gist (estate_id WITH =, daterange(starts_on, ended_on, '[]') WITH &&);
    """,
]
POSTGRES_REVERSE = [f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS arrangement_periods_do_not_overlap;"]

SQLITE = [
    f"""
    CREATE TRIGGER arrangement_periods_do_not_overlap_{event.lower()}
    BEFORE {event} ON {TABLE}
    WHEN EXISTS (
        SELECT 1 FROM {TABLE} other
        WHERE other.estate_id = NEW.estate_id
          AND other.id IS NOT NEW.id
          AND other.starts_on <= COALESCE(NEW.ended_on, '9999-12-31')
          AND COALESCE(other.ended_on, '9999-12-31') >= NEW.starts_on
    )
    BEGIN
        SELECT RAISE(ABORT, 'management arrangements of an estate overlap');
    END;
    """
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS arrangement_periods_do_not_overlap_{e};" for e in ("insert", "update")]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("property_services", "0002_governance")]
    operations = [migrations.RunPython(forwards, backwards)]
