"""Admins manage API tokens; nobody else sees them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    token_permissions = Permission.objects.filter(
        content_type__app_label="inbox", content_type__model="apitoken"
    )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*token_permissions)
    for role in ("Viewer", "Teammate"):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.remove(*token_permissions)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0004_api_tokens"), ("inbox", "0003_segment_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
