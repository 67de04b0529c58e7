"""Custom datetime values of companies to the canonical fixed-width form (see
contacts.0007_custom_datetimes_to_the_second)."""

from django.db import migrations

from qualification import canonical_datetimes


def forwards(apps, schema_editor):
    names = canonical_datetimes.datetime_attributes(apps, "company")
    canonical_datetimes.rewrite(apps.get_model("companies", "Company"), names)


class Migration(migrations.Migration):
    # Each batch commits on its own: a million rows need not be one transaction.
    atomic = False

    dependencies = [
        ("companies", "0001_initial"),
        ("qualification", "0006_history_of_conversations"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
