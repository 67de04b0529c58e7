"""The three roles a teammate can have, as Django groups holding explicit permissions.

- Viewer reads everything (but API tokens) and edits nothing.
- Teammate also edits contact and company data, tags, company links, conversations and saves
  segments.
- Admin can do everything, including data attributes, the qualification-data list, teammates,
  roles and API tokens; nobody may add, change or delete history or the outbox by hand.

`roles_sync` makes the groups hold exactly these permissions: the test suite calls it after a
test that emptied the tables. Migrations do not (an operator may have granted a role more):
the roles were made by inbox.0002_roles and later grants, and moving API tokens here moved
their permissions with their content type (workspace.0001).
"""

from django.contrib.auth.management import create_permissions

VIEWER, TEAMMATE, ADMIN = "Viewer", "Teammate", "Admin"
ROLES = (ADMIN, TEAMMATE, VIEWER)
ROLE_DESCRIPTIONS = {
    ADMIN: "Everything a Teammate can do, plus the workspace settings: teammates and their "
    "roles, data attributes and who may write them, the qualification-data list and API tokens.",
    TEAMMATE: "Reads conversations, contacts and companies with their history. Replies, adds "
    "notes, assigns and closes conversations; edits contact and company data, tags and company "
    "links; saves segments.",
    VIEWER: "Reads conversations, contacts and companies with their history. Changes nothing.",
}

APPS = ["workspace", "qualification", "companies", "contacts", "inbox"]
# Admins only, even to look at: a token's name and scopes say what can reach the data.
ADMIN_ONLY = {("workspace", "apitoken")}
# Apps above this one whose every model is for Admins only (register_admin_only_app).
ADMIN_ONLY_APPS: set[str] = set()


def register_admin_only_app(app_label: str) -> None:
    """An app above this one whose every model only Admins may see and change (its settings):
    called from its AppConfig.ready(), so this layer never names it."""
    if app_label not in APPS:
        APPS.append(app_label)
    ADMIN_ONLY_APPS.add(app_label)


# What a Teammate may add and change, by app and model.
TEAMMATE_EDITS = {
    ("contacts", "contact"),
    ("contacts", "companymembership"),
    ("contacts", "segment"),
    ("companies", "company"),
    ("qualification", "tag"),
    ("inbox", "conversation"),
    ("inbox", "conversationpart"),
}
# Written only by the system; readable by every role.
APPEND_ONLY = {("qualification", "attributechange"), ("qualification", "attributeoutbox")}


def roles_sync(apps) -> None:
    """Create the roles and give each exactly its permissions (idempotent)."""
    for app_config in apps.get_app_configs():
        # Permissions are normally made after all migrations; make them now.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    grants: dict[str, list] = {role: [] for role in ROLES}
    ours = Permission.objects.filter(content_type__app_label__in=APPS).select_related(
        "content_type"
    )
    for permission in ours:
        model = (permission.content_type.app_label, permission.content_type.model)
        action = permission.codename.split("_", 1)[0]
        admin_only = model in ADMIN_ONLY or model[0] in ADMIN_ONLY_APPS
        if action == "view":
            grants[ADMIN].append(permission)
            if not admin_only:
                grants[TEAMMATE].append(permission)
                grants[VIEWER].append(permission)
        elif model not in APPEND_ONLY:
            grants[ADMIN].append(permission)
            if not admin_only and model in TEAMMATE_EDITS and action in ("add", "change"):
                grants[TEAMMATE].append(permission)
    grants[ADMIN] += list(Permission.objects.filter(content_type__app_label="auth"))
    for role, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)
