"""Custom datetime values stored with fractional seconds ("...T00:00:00.500000Z") become the
canonical fixed-width form ("...T00:00:00Z"), in contacts and in the contact list's rows, so
that comparing the texts compares the moments (qualification.values.format_datetime)."""

from django.db import migrations

from qualification import canonical_datetimes


def forwards(apps, schema_editor):
    names = canonical_datetimes.datetime_attributes(apps, "contact")
    for model in ("Contact", "ContactListEntry"):
        canonical_datetimes.rewrite(apps.get_model("contacts", model), names)


class Migration(migrations.Migration):
    # Each batch commits on its own: a million rows need not be one transaction.
    atomic = False

    dependencies = [
        ("contacts", "0006_one_user_per_email"),
        ("qualification", "0006_history_of_conversations"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
