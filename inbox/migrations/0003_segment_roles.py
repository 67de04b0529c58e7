"""Give the roles their permissions on segments and the contact list: everyone reads them;
teammates and admins save segments; admins also delete them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Viewer": ["view_segment", "view_segmentmembership", "view_contactlistentry"],
    "Teammate": [
        "view_segment",
        "view_segmentmembership",
        "view_contactlistentry",
        "add_segment",
        "change_segment",
    ],
    "Admin": [
        "view_segment",
        "view_segmentmembership",
        "view_contactlistentry",
        "add_segment",
        "change_segment",
        "delete_segment",
    ],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="contacts", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0002_roles"),
        ("contacts", "0003_contact_list_gin_indexes"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
