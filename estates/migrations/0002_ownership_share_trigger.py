"""A unit's current ownership shares never add up to more than one, held by the database itself."""

from django.db import migrations

SQLITE = [
    f"""
    CREATE TRIGGER ownership_shares_at_most_one_{event.lower()}
    BEFORE {event} ON estates_ownership
    WHEN NEW.until IS NULL AND (
        SELECT COALESCE(SUM(share), 0) FROM estates_ownership
        WHERE unit_id = NEW.unit_id AND until IS NULL AND id IS NOT NEW.id
    ) + NEW.share > 1
    BEGIN
        SELECT RAISE(ABORT, 'ownership shares of a unit exceed 1');
    END;
    """
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS ownership_shares_at_most_one_{e};" for e in ("insert", "update")]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION estates_ownership_shares_check() RETURNS trigger AS $$
    BEGIN
        IF NEW.until IS NULL AND (
            SELECT COALESCE(SUM(share), 0) FROM estates_ownership
            WHERE unit_id = NEW.unit_id AND until IS NULL AND id IS DISTINCT FROM NEW.id
        ) + NEW.share > 1 THEN
            RAISE EXCEPTION 'ownership shares of a unit exceed 1' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ownership_shares_at_most_one
    BEFORE INSERT OR UPDATE ON estates_ownership
    FOR EACH ROW EXECUTE FUNCTION estates_ownership_shares_check();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ownership_shares_at_most_one ON estates_ownership;",
    "DROP FUNCTION IF EXISTS estates_ownership_shares_check();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("estates", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
