from django.db.models import F

from .models import ApiToken


def api_tokens_for_settings() -> list[ApiToken]:
    """Every token for the settings page, active ones first, in one query."""
    return list(
        ApiToken.objects.select_related("created_by").order_by(
            F("revoked_at").asc(nulls_first=True), "-created_at", "-pk"
        )
    )


def teammates_for_settings() -> list:
    """Every teammate for the settings page, active ones first, with their role, in two
    queries."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.prefetch_related("groups")
        .order_by("-is_active", "first_name", "last_name", "username")
    )
