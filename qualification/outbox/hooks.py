"""Hooks that run after attribute values change.

This app sits at the bottom of the layers, so it never names the apps that react to changes
(the contact-list projection, segments, workflows). They register here from their AppConfig.ready,
and the outbox delivers each committed change to every hook. Hooks must be idempotent: a change
can be delivered twice (a redelivered task, the sweeper), never zero times.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AttributeChangeEvent:
    outbox_id: int
    target_type: str
    target_id: int
    target_version: int
    attribute_names: tuple[str, ...]
    source: str
    committed_at: datetime


# A hook receives a batch of events, oldest first; a target may appear more than once.
AfterChangeHook = Callable[[list[AttributeChangeEvent]], None]

_after_change_hooks: dict[str, AfterChangeHook] = {}


def register_after_change(name: str, hook: AfterChangeHook) -> None:
    """Register `hook` under a stable name; registering the same name again replaces it."""
    _after_change_hooks[name] = hook


def unregister_after_change(name: str) -> None:
    _after_change_hooks.pop(name, None)


def after_change_hooks() -> list[tuple[str, AfterChangeHook]]:
    return list(_after_change_hooks.items())
