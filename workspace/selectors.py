from django.db.models import F

from .models import ApiToken


def api_tokens_for_settings() -> list[ApiToken]:
    """Every token for the settings page, active ones first, in one query."""
    return list(
        ApiToken.objects.select_related("created_by").order_by(
            F("revoked_at").asc(nulls_first=True), "-created_at", "-pk"
        )
    )
