"""What depends on a data attribute, so archiving it would silently break something.

The qualification-data list lives in this app and is checked by `data_attribute_update`
itself. Saved segments (contacts) and anything else above this app filter on attributes by
name; those apps register a check here from their AppConfig.ready, so this app never names
them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from .models import AttributeModel, DataAttribute, QualificationItem


@dataclass(frozen=True)
class Dependant:
    """One thing that relies on an attribute: a short description for a person ("the segment
    'Gold users'") and, where it has a page, a link to it."""

    description: str
    url: str | None = None

    def __str__(self) -> str:
        return self.description


# A check returns one entry per dependant, a Dependant or just its description; [] if none.
DependantsCheck = Callable[[DataAttribute], list["Dependant | str"]]

_checks: dict[str, DependantsCheck] = {}


def register_dependants_check(name: str, check: DependantsCheck) -> None:
    """Register `check` under a stable name; registering the same name again replaces it."""
    _checks[name] = check


def unregister_dependants_check(name: str) -> None:
    _checks.pop(name, None)


def dependants_checks() -> list[tuple[str, DependantsCheck]]:
    return list(_checks.items())


def attribute_dependants_linked(attribute: DataAttribute) -> list[Dependant]:
    """Everything that relies on `attribute`, each with a link to it where it has a page."""
    found = []
    if QualificationItem.objects.filter(attribute=attribute).exists():
        found.append(
            Dependant(
                f"the qualification-data list for {AttributeModel(attribute.model).label.lower()}",
                f"{reverse('settings-qualification')}?model={attribute.model}",
            )
        )
    for _, check in dependants_checks():
        found.extend(d if isinstance(d, Dependant) else Dependant(d) for d in check(attribute))
    return found


def attribute_dependants(attribute: DataAttribute) -> list[str]:
    """Everything that relies on `attribute`, described for a person to act on; [] if nothing."""
    return [d.description for d in attribute_dependants_linked(attribute)]
