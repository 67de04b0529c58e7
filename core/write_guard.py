"""Only services write customer data, and the code enforces it.

A *guarded* model (contacts, companies, their tags and company links, conversations and their
parts, tags, data attribute definitions and the qualification-data list) refuses every write
made outside a service: saving, creating, updating or deleting rows, in bulk or one by one, and
adding or removing tags. Services are the functions decorated with `@service`; they validate,
record history and write the outbox row in the same transaction, so a write that skips them
would leave the contact list, segments and history silently wrong.

Reads are never affected. Migrations use historical models, which are not guarded. Test
set-up that needs rows in a given state says so with `writes_allowed()`. One gap: Django sends
no signals for the tables it makes for a many-to-many field itself, so their rows are guarded
through the relation (`contact.tags.add/remove/set/clear`), not when code writes
`Contact.tags.through` directly; nothing outside services does. Nor does Django send signals
when a deleted row's `on_delete=SET_NULL` clears references to it: the references that are
customer data (a contact's owner, a conversation's assignee) are PROTECT instead, and a
deleted teammate's replies keep their text without an author, by design.
"""

import functools
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, pre_delete, pre_save

_inside_service: ContextVar[bool] = ContextVar("inside_service", default=False)

P = ParamSpec("P")
R = TypeVar("R")


class WriteOutsideService(RuntimeError):
    """A guarded model was written outside its services."""


def service(function: Callable[P, R]) -> Callable[P, R]:
    """Mark a function as a service: it may write guarded models (and so may what it calls)."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _inside_service.get():
            return function(*args, **kwargs)
        token = _inside_service.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            _inside_service.reset(token)

    return run


@contextmanager
def writes_allowed():
    """Let the block write guarded models directly: for test set-up and data repairs only."""
    token = _inside_service.set(True)
    try:
        yield
    finally:
        _inside_service.reset(token)


def check_write(model: type[models.Model], action: str) -> None:
    if not _inside_service.get():
        raise WriteOutsideService(
            f"{model._meta.label} is {action} outside its services. Customer data changes only "
            "through a service (validated, recorded in history, announced through the outbox): "
            f"call the {model._meta.app_label} service for this change instead."
        )


class GuardedQuerySet(models.QuerySet):
    """Bulk writes, which send no signals, check here."""

    def update(self, **kwargs):
        check_write(self.model, "updated")
        return super().update(**kwargs)

    def delete(self):
        check_write(self.model, "deleted")
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        check_write(self.model, "created")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        check_write(self.model, "updated")
        return super().bulk_update(objs, *args, **kwargs)


GuardedManager = models.Manager.from_queryset(GuardedQuerySet)


def _on_save(sender, **kwargs):
    check_write(sender, "saved")


def _on_delete(sender, **kwargs):
    check_write(sender, "deleted")


def _on_links_changed(sender, action, **kwargs):
    if action.startswith("pre_"):
        check_write(sender, "linked or unlinked")


def guard(model: type[models.Model]) -> type[models.Model]:
    """Refuse writes of `model` outside services (a class decorator for models.py). Its
    default manager must be a GuardedManager; its many-to-many links are guarded too."""
    if not issubclass(getattr(model._default_manager, "_queryset_class", object), GuardedQuerySet):
        raise TypeError(f"{model.__name__}.objects must be a GuardedManager.")
    uid = f"write_guard:{model._meta.label}"
    pre_save.connect(_on_save, sender=model, dispatch_uid=uid, weak=False)
    pre_delete.connect(_on_delete, sender=model, dispatch_uid=uid, weak=False)
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if isinstance(through, str):  # not resolved yet; the other end's guard covers it
            continue
        m2m_changed.connect(_on_links_changed, sender=through, dispatch_uid=uid, weak=False)
    return model
