"""The kinds of records that hold attribute values, registered by the apps that own them.

Contacts and companies live in apps above this one, so this app never imports them: each
registers itself here from its AppConfig.ready, and the qualification views find targets
through this registry.
"""

from dataclasses import dataclass

from django.urls import reverse

from .models import AttributeTarget


@dataclass(frozen=True)
class TargetKind:
    name: str
    model: type[AttributeTarget]
    view_permission: str
    change_permission: str
    page_url_name: str

    def page_url(self, target_id: int) -> str:
        return reverse(self.page_url_name, args=[target_id])


_kinds: dict[str, TargetKind] = {}


def register_target(kind: TargetKind) -> None:
    _kinds[kind.name] = kind


def target_kind(name: str) -> TargetKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No attribute target is registered as {name!r}.") from None
