"""Admins manage the messenger's settings and secrets; the other roles do not see them."""

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
    ours = Permission.objects.filter(content_type__app_label="messenger")
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*ours)


class Migration(migrations.Migration):
    dependencies = [("messenger", "0001_settings_and_secrets"), ("inbox", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
