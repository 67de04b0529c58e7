from django.contrib.admin.apps import AdminConfig


class SwitchboardAdminConfig(AdminConfig):
    """Django's admin with our site: superusers only (workspace.admin_site)."""

    default_site = "workspace.admin_site.SwitchboardAdminSite"
