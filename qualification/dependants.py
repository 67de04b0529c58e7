"""What depends on a data attribute, so archiving it would silently break something.

The qualification-data list lives in this app and is checked by `data_attribute_update`
itself. Saved segments (contacts) and anything else above this app filter on attributes by
name; those apps register a check here from their AppConfig.ready, so this app never names
them.
"""

from collections.abc import Callable

from .models import AttributeModel, DataAttribute, QualificationItem

# A check returns one short description per dependant ("the segment 'Gold users'"), or [].
DependantsCheck = Callable[[DataAttribute], list[str]]

_checks: dict[str, DependantsCheck] = {}


def register_dependants_check(name: str, check: DependantsCheck) -> None:
    """Register `check` under a stable name; registering the same name again replaces it."""
    _checks[name] = check


def unregister_dependants_check(name: str) -> None:
    _checks.pop(name, None)


def dependants_checks() -> list[tuple[str, DependantsCheck]]:
    return list(_checks.items())


def attribute_dependants(attribute: DataAttribute) -> list[str]:
    """Everything that relies on `attribute`, described for a person to act on; [] if nothing."""
    found = []
    if QualificationItem.objects.filter(attribute=attribute).exists():
        found.append(
            f"the qualification-data list for {AttributeModel(attribute.model).label.lower()}"
        )
    for _, check in dependants_checks():
        found.extend(check(attribute))
    return found
