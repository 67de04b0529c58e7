from django.conf import settings


def shell(request):
    """What every Switchboard page needs from the admin look it reuses, without queries."""
    user = getattr(request, "user", None)
    htmx = getattr(request, "htmx", None)
    here = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
    return {
        "site_header": "Switchboard",
        "site_title": "Switchboard",
        "site_url": "/inbox/",
        "has_permission": bool(user and user.is_active and user.is_superuser),
        "here": here,
        "debug_htmx": settings.DEBUG,
    }
