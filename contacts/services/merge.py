"""Merging a lead into a user, and the steps apps above contacts add to it."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Greatest, Least

from core.write_guard import service
from qualification.models import AttributeModel, DataAttribute
from qualification.results import AttributeWriteError
from qualification.services import (
    RecordChange,
    attributes_apply,
    target_record,
)
from qualification.sources import Actor

from ..models import Contact, Event, EventSummary, Role
from .links import contact_company_attach
from .people import contact_delete
from .tags import contact_tag


class MergeError(ValueError):
    """A merge that cannot happen; the message says why."""


# Apps above contacts (the inbox's conversations, say) move what they hold of the lead to the
# user. They register here because contacts may not import them.
# A step is called as step(lead, user, source=..., actor=...) inside the merge's transaction.
MergeStep = Callable[..., None]
_merge_steps: dict[str, MergeStep] = {}


def register_merge_step(name: str, step: MergeStep) -> None:
    _merge_steps[name] = step


def _events_move(lead: Contact, user: Contact) -> None:
    """The lead's events become the user's; an event the user already has (same name, same
    moment) is the same event, kept once. Summaries add up."""
    theirs = Event.objects.filter(contact=user)
    Event.objects.filter(contact=lead).filter(
        Exists(theirs.filter(event_name=OuterRef("event_name"), created_at=OuterRef("created_at")))
    ).delete()
    Event.objects.filter(contact=lead).update(contact=user)
    for summary in EventSummary.objects.filter(contact=lead):
        merged = EventSummary.objects.filter(contact=user, event_name=summary.event_name).update(
            tracked_count=F("tracked_count") + summary.tracked_count,
            imported_count=F("imported_count") + summary.imported_count,
            first_at=Least("first_at", Value(summary.first_at)),
            last_at=Greatest("last_at", Value(summary.last_at)),
        )
        if merged:
            summary.delete()
        else:
            EventSummary.objects.filter(pk=summary.pk).update(contact=user)


@service
def contact_merge(*, lead: Contact, user: Contact, source: str, actor: Actor | Any) -> Contact:
    """Fold a lead into a user, as Intercom's merge does: the user keeps its own values and
    gains the lead's where it has none, its tags, companies and conversations; the lead is
    deleted. Either all of it happens or none."""
    if lead.pk == user.pk:
        raise MergeError("A contact cannot be merged into itself.")
    if lead.role != Role.LEAD:
        raise MergeError(f"Contact {lead.pk} is a user; only a lead can be merged into a user.")
    if user.role != Role.USER:
        raise MergeError(f"Contact {user.pk} is a lead; a lead can only be merged into a user.")
    with transaction.atomic():
        # Lock both, in id order so two merges of the same pair cannot deadlock.
        locked = {
            c.pk: c
            for c in Contact.objects.select_for_update()
            .filter(pk__in=[lead.pk, user.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeError("One of the contacts was deleted while merging.")
        lead, user = locked[lead.pk], locked[user.pk]
        # Checked again on the locked rows: a concurrent update may have changed a role.
        if lead.role != Role.LEAD or user.role != Role.USER:
            raise MergeError("A contact's role changed while merging; check both and retry.")
        values = {}
        for attribute in DataAttribute.objects.filter(
            model=AttributeModel.CONTACT, archived=False, api_writable=True
        ):
            mine, theirs = user.attribute_value(attribute), lead.attribute_value(attribute)
            if mine is None and theirs is not None:
                values[attribute.name] = theirs
        try:
            attributes_apply(
                target=user,
                values=values,
                source=source,
                actor=actor,
                reason=f"Merged from lead {lead.pk}",
            )
        except AttributeWriteError as exc:  # a lead's value the user's attribute refuses
            raise MergeError(f"The lead's values cannot be merged: {exc}") from exc
        for tag in lead.tags.all():
            contact_tag(contact=user, tag=tag, source=source, actor=actor)
        for membership in lead.memberships.select_related("company"):
            contact_company_attach(
                contact=user, company=membership.company, source=source, actor=actor
            )
        _events_move(lead, user)
        for step in _merge_steps.values():
            step(lead, user, source=source, actor=Actor.coerce(actor))
        target_record(
            target=user,
            changes=[RecordChange("merged", None, f"Lead {lead.pk} ({lead})")],
            source=source,
            actor=actor,
        )
        contact_delete(contact=lead, source=source, actor=actor)
    user.refresh_from_db()
    return user
