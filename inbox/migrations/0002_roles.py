"""Create the three roles as groups with explicit permissions.

- Viewer reads everything and edits nothing.
- Teammate also edits contact and company data, tags and conversations.
- Admin also manages data attributes, the qualification-data list, teammates, roles and settings.

Attribute history is append-only: no role may add, change or delete it.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ["qualification", "companies", "contacts", "inbox"]
TEAMMATE_EDITS = {
    "contacts": ["contact", "companymembership"],
    "companies": ["company"],
    "qualification": ["tag"],
    "inbox": ["conversation", "conversationpart"],
}
APPEND_ONLY = {("qualification", "attributechange"), ("qualification", "attributeoutbox")}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the roles can hold them.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=APPS)

    viewer_perms = list(ours.filter(codename__startswith="view_"))
    teammate_perms = list(viewer_perms)
    for app_label, models in TEAMMATE_EDITS.items():
        for model in models:
            teammate_perms += list(
                ours.filter(
                    content_type__app_label=app_label,
                    content_type__model=model,
                    codename__in=[f"add_{model}", f"change_{model}"],
                )
            )
    admin_perms = [
        p
        for p in ours.select_related("content_type")
        if p.codename.startswith("view_")
        or (p.content_type.app_label, p.content_type.model) not in APPEND_ONLY
    ]
    admin_perms += list(Permission.objects.filter(content_type__app_label="auth"))

    for name, perms in [
        ("Viewer", viewer_perms),
        ("Teammate", teammate_perms),
        ("Admin", admin_perms),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Viewer", "Teammate", "Admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("qualification", "0002_standard_attributes"),
        ("companies", "0001_initial"),
        ("contacts", "0001_initial"),
        ("inbox", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
