"""/admin/ as a break-glass tool for superusers. Admins, Teammates and Viewers use the product's
own pages (the settings area), where every change goes through a service; a signed-in
non-superuser gets 403 here, not a second login form."""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied


class SwitchboardAdminSite(admin.AdminSite):
    site_header = "Switchboard"
    site_title = "Switchboard"
    index_title = "Raw tables (superusers only)"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def refuse_non_superusers(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return refuse_non_superusers
