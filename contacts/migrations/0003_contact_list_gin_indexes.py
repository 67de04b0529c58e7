"""GIN indexes for the contact list's JSON filters, on PostgreSQL only (SQLite has no GIN; its
embedded default is for small workspaces)."""

from django.db import migrations

INDEXES = [
    ("cle_custom_gin", "custom_attributes jsonb_path_ops"),
    ("cle_tags_gin", "tag_ids jsonb_path_ops"),
    ("cle_companies_gin", "company_ids jsonb_path_ops"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON contacts_contactlistentry USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_contact_list_and_segments")]

    operations = [migrations.RunPython(create, drop)]
