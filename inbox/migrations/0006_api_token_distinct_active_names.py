"""Give active tokens that share a name (case-insensitively) distinct names, so the unique
constraint added next can be created on existing data. The oldest keeps its name; the others
get " (2)", " (3)", ... appended."""

from django.db import migrations


def rename_duplicates(apps, schema_editor):
    ApiToken = apps.get_model("inbox", "ApiToken")
    active = ApiToken.objects.filter(revoked_at__isnull=True).order_by("created_at", "pk")
    taken = {name.lower() for name in active.values_list("name", flat=True)}
    seen = set()
    for token in active.only("pk", "name"):
        key = token.name.lower()
        if key not in seen:
            seen.add(key)
            continue
        n = 2
        while True:
            suffix = f" ({n})"
            candidate = token.name[: 100 - len(suffix)] + suffix
            if candidate.lower() not in taken:
                break
            n += 1
        taken.add(candidate.lower())
        ApiToken.objects.filter(pk=token.pk).update(name=candidate)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0005_api_token_roles")]

    operations = [migrations.RunPython(rename_duplicates, migrations.RunPython.noop)]
