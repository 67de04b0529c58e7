"""The roles as `workspace.roles` defines them, now that API tokens live here."""

from django.db import migrations


def sync(apps, schema_editor):
    from workspace.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0002_api_token_table"),
        ("inbox", "0008_api_token_to_workspace"),
        ("contacts", "0004_events"),
        ("qualification", "0005_outcome_released"),
        ("companies", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
