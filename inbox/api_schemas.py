"""The shapes of the conversations API: request and response schemas (exactly what the
endpoints return, so the OpenAPI document can be checked against the answers; fields
Switchboard does not model are present and null or empty), and how a conversation and its
parts become Intercom's JSON."""

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from core.api import unix

from . import selectors
from .bodies import text_to_html
from .models import Conversation, ConversationPart, ConversationState, PartKind


class ConversationReference(Schema):
    type: str
    id: str | None


class ConversationAuthor(Schema):
    type: str
    id: str | None
    name: str | None
    email: str | None


class ConversationContact(Schema):
    type: str
    id: str
    external_id: str | None


class ConversationContacts(Schema):
    type: str
    contacts: list[ConversationContact]


class ConversationTeammates(Schema):
    type: str
    teammates: list[ConversationReference]


class ConversationTags(Schema):
    type: str
    tags: list[dict[str, Any]]


class ConversationLinkedObjects(Schema):
    type: str
    data: list[dict[str, Any]]
    total_count: int
    has_more: bool


class ConversationFirstContactReply(Schema):
    created_at: int
    type: str
    url: str | None


class ConversationSource(Schema):
    type: str
    id: str | None
    delivered_as: str
    subject: str
    body: str | None
    author: ConversationAuthor | None
    attachments: list[dict[str, Any]]
    url: str | None
    redacted: bool


class ConversationPartOut(Schema):
    type: str
    id: str
    part_type: str
    body: str | None
    created_at: int
    updated_at: int
    notified_at: int | None
    assigned_to: ConversationReference | None
    author: ConversationAuthor
    attachments: list[dict[str, Any]]
    external_id: str | None
    redacted: bool


class ConversationParts(Schema):
    type: str
    conversation_parts: list[ConversationPartOut]
    total_count: int


class ConversationListItem(Schema):
    type: str
    id: str
    title: str | None
    created_at: int
    updated_at: int
    waiting_since: int | None
    snoozed_until: int | None
    open: bool
    state: ConversationState
    read: bool | None
    priority: str
    admin_assignee_id: int | None
    team_assignee_id: int | None
    tags: ConversationTags
    conversation_rating: dict[str, Any] | None
    source: ConversationSource
    contacts: ConversationContacts
    teammates: ConversationTeammates
    custom_attributes: dict[str, Any]
    first_contact_reply: ConversationFirstContactReply | None
    sla_applied: dict[str, Any] | None
    statistics: dict[str, Any] | None
    linked_objects: ConversationLinkedObjects
    ai_agent_participated: bool
    ai_agent: dict[str, Any] | None


class ConversationOut(ConversationListItem):
    conversation_parts: ConversationParts


class ConversationNextPage(Schema):
    per_page: int
    starting_after: str


class ConversationPages(Schema):
    type: str
    page: int
    per_page: int
    total_pages: int
    next: ConversationNextPage | None


class ConversationListOut(Schema):
    type: str
    conversations: list[ConversationListItem]
    total_count: int
    pages: ConversationPages


class ConversationMessage(Schema):
    type: str
    id: str
    created_at: int
    body: str
    message_type: str
    conversation_id: str


# Request schemas -------------------------------------------------------------------------------


class ConversationFrom(Schema):
    model_config = ConfigDict(extra="forbid")

    # Intercom is lenient here and so is Switchboard: an id names one contact, user or lead,
    # so the type is not checked against the contact's role.
    type: Literal["user", "lead", "contact"]
    id: str


class ConversationCreate(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: ConversationFrom = Field(..., alias="from")
    # Optional here so that a missing body gets the same clear message as an empty one.
    body: str | None = None
    subject: str | None = None
    created_at: int | None = None


class ConversationReply(Schema):
    """Intercom's admin and contact reply requests, as one object: which fields apply depends
    on `type`, and the endpoint says which one is missing or out of place."""

    model_config = ConfigDict(extra="forbid")

    message_type: Literal["comment", "note", "quick_reply"]
    type: Literal["admin", "user", "lead", "contact"]
    body: str | None = None
    admin_id: str | None = None
    intercom_user_id: str | None = None
    user_id: str | None = None
    email: str | None = None
    created_at: int | None = None


# JSON -----------------------------------------------------------------------------------------


def _body(text: str, plaintext: bool) -> str:
    return text if plaintext else text_to_html(text)


def _author(part: ConversationPart) -> dict[str, Any]:
    if part.kind == PartKind.CUSTOMER_MESSAGE:
        contact = part.author_contact
        if contact is None:  # the contact was deleted since
            return {"type": "user", "id": None, "name": None, "email": None}
        return {
            "type": contact.role,
            "id": str(contact.pk),
            "name": contact.name,
            "email": contact.email,
        }
    user = part.author_user
    if user is None:  # a teammate who has since been deleted
        return {"type": "admin", "id": None, "name": None, "email": None}
    return {
        "type": "admin",
        "id": str(user.pk),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email or None,
    }


def _part_json(part: ConversationPart, plaintext: bool) -> dict[str, Any]:
    return {
        "type": "conversation_part",
        "id": str(part.pk),
        "part_type": "note" if part.kind == PartKind.NOTE else "comment",
        "body": _body(part.body, plaintext),
        "created_at": unix(part.created_at),
        # ConversationParts are never edited, and Switchboard sends no notifications to record.
        "updated_at": unix(part.created_at),
        "notified_at": None,
        "assigned_to": None,
        "author": _author(part),
        "attachments": [],
        "external_id": None,
        "redacted": False,
    }


def _source_json(conversation: Conversation, source: ConversationPart | None, plaintext: bool):
    customer = source is not None and source.kind == PartKind.CUSTOMER_MESSAGE
    return {
        "type": "conversation",
        "id": str(source.pk) if source else None,
        "delivered_as": "customer_initiated" if customer or source is None else "admin_initiated",
        "subject": conversation.subject,
        "body": _body(source.body, plaintext) if source else None,
        "author": _author(source) if source else None,
        "attachments": [],
        "url": None,
        "redacted": False,
    }


def conversation_json(
    conversation: Conversation,
    *,
    source: ConversationPart | None,
    teammate_ids: list[int],
    plaintext: bool = False,
) -> dict[str, Any]:
    contact = conversation.contact
    first_reply = source if source and source.kind == PartKind.CUSTOMER_MESSAGE else None
    return {
        "type": "conversation",
        "id": str(conversation.pk),
        "title": conversation.subject or None,
        "created_at": unix(conversation.created_at),
        "updated_at": unix(conversation.updated_at),
        "waiting_since": unix(selectors.api_waiting_since(conversation)),
        "snoozed_until": unix(conversation.snoozed_until),
        # Intercom counts a snoozed conversation as open.
        "open": conversation.state != ConversationState.CLOSED,
        "state": conversation.state,
        "read": None,  # Switchboard does not track reading
        "priority": "not_priority",
        "admin_assignee_id": conversation.assignee_id,
        "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_rating": None,
        "source": _source_json(conversation, source, plaintext),
        "contacts": {
            "type": "contact.list",
            "contacts": [
                {"type": "contact", "id": str(contact.pk), "external_id": contact.external_id}
            ],
        },
        "teammates": {
            "type": "admin.list",
            "teammates": [{"type": "admin", "id": str(pk)} for pk in teammate_ids],
        },
        "custom_attributes": {},
        "first_contact_reply": {
            "created_at": unix(first_reply.created_at),
            "type": "conversation",
            "url": None,
        }
        if first_reply
        else None,
        "sla_applied": None,
        "statistics": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent_participated": False,
        "ai_agent": None,
    }


def conversation_full_json(conversation: Conversation, plaintext: bool = False) -> dict[str, Any]:
    """The conversation with its parts; `conversation` comes from selectors.api_conversation."""
    sources = selectors.api_conversation_sources([conversation])
    parts, total = selectors.api_conversation_parts(conversation)
    body = conversation_json(
        conversation,
        source=sources.get(conversation.source_part_id),
        teammate_ids=selectors.api_conversation_teammates([conversation])[conversation.pk],
        plaintext=plaintext,
    )
    body["conversation_parts"] = {
        "type": "conversation_part.list",
        "conversation_parts": [_part_json(p, plaintext) for p in parts],
        "total_count": total,
    }
    return body


# Input ----------------------------------------------------------------------------------------
