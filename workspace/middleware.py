from django.utils import timezone

from .profiles import time_zone_for


class TeammateTimeZoneMiddleware:
    """Times on every page are shown and entered in the teammate's zone (workspace.profiles)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = time_zone_for(request)
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
