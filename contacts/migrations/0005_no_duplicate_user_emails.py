"""Before users' emails become unique (whatever their case), make sure they already are. Two
users sharing an email cannot be resolved here without losing someone's data, so the
migration stops and says which to merge or change first."""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Upper


def check(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    shared = (
        Contact.objects.filter(role="user", email__isnull=False)
        .annotate(key=Upper("email"))
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("key", flat=True)[:20]
    )
    if shared:
        raise RuntimeError(
            "Several users share these emails: "
            + ", ".join(shared)
            + ". Merge them, or change or clear all but one's email, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0004_events")]

    operations = [migrations.RunPython(check, migrations.RunPython.noop)]
