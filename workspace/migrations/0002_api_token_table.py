"""The token table takes the workspace's name now that no inbox migration refers to it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_api_token_from_inbox"),
        ("inbox", "0008_api_token_to_workspace"),
    ]

    operations = [migrations.AlterModelTable(name="apitoken", table=None)]
