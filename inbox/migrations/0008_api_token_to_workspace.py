"""API tokens now live in the workspace app (workspace.0001); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0007_api_token_active_name_unique"),
        ("workspace", "0001_api_token_from_inbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
