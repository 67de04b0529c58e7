from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .models import MessengerSecret, SecretKind


@dataclass(frozen=True)
class SecretState:
    kind: str
    label: str
    current_since: datetime | None  # None: no secret of this kind yet
    previous_until: datetime | None  # a rotated-out secret still verifying until then


def secret_states() -> list[SecretState]:
    """Each kind of secret, whether it exists and since when; never the secret itself."""
    now = timezone.now()
    rows = MessengerSecret.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    current, previous = {}, {}
    for kind, created_at, expires_at in rows.values_list("kind", "created_at", "expires_at"):
        if expires_at is None:
            current[kind] = created_at
        else:
            previous[kind] = max(previous.get(kind, expires_at), expires_at)
    return [
        SecretState(kind, label, current.get(kind), previous.get(kind))
        for kind, label in SecretKind.choices
    ]
