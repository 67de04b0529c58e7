"""Conversations in Intercom's REST API shape (2.14): create, retrieve, list, reply.

Bodies: Switchboard stores message text, never markup (see inbox.bodies). A new conversation's
body is text, as Intercom documents it ("HTML is not supported"); a reply's body is HTML, as in
Intercom, and is reduced to its text. Bodies go out as escaped HTML paragraphs, or as the stored
text with `display_as=plaintext`.
"""

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from contacts.api import contact_or_404
from contacts.models import Contact
from contacts.selectors import contact_find
from core.api import ApiError, ObjectRef, api_errors, unix
from core.pagination import decode_cursor, keyset_page
from qualification.values import parse_id
from workspace.api_auth import TokenAuth, token_may

from . import selectors, services
from .api_schemas import (
    ConversationCreate,
    ConversationListOut,
    ConversationMessage,
    ConversationOut,
    ConversationReply,
    conversation_full_json,
    conversation_json,
)
from .bodies import html_to_text
from .forms import BODY_MAX_LENGTH
from .models import Conversation, PartKind

router = Router(tags=["Conversations"])

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 150


def _conversation(conversation_id: str) -> Conversation:
    pk = parse_id(conversation_id)
    found = selectors.api_conversation(pk) if pk is not None else None
    if found is None:
        raise ApiError(404, "not_found", "Resource Not Found")
    return found


def _text(body: str | None, *, html: bool) -> str:
    text = (html_to_text(body) if html else body.strip()) if body else ""
    if not text:
        raise ApiError(400, "parameter_invalid", "body is required and can't be empty.")
    if len(text) > BODY_MAX_LENGTH:
        raise ApiError(
            400, "parameter_invalid", f"body is longer than {BODY_MAX_LENGTH} characters."
        )
    return text


FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ a little


def _moment(created_at: int | None) -> datetime | None:
    if created_at is None:
        return None
    try:
        if created_at < 0:
            raise ValueError
        moment = datetime.fromtimestamp(created_at, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ApiError(
            400, "parameter_invalid", "created_at must be a Unix timestamp in seconds."
        ) from None
    # A message from the future would sit at the top of the inbox until then.
    if moment > timezone.now() + FUTURE_TOLERANCE:
        raise ApiError(400, "parameter_invalid", "created_at is in the future.")
    return moment


def _replying_contact(
    request: HttpRequest, conversation: Conversation, body: ConversationReply
) -> Contact:
    """The conversation's contact, if the reply names them; a clear refusal otherwise. Only a
    token that may read contacts learns whether someone else so named exists at all (README,
    "Scopes")."""
    given = {
        "intercom_user_id": body.intercom_user_id,
        "user_id": body.user_id,
        "email": body.email,
    }
    sent = {name: value for name, value in given.items() if value}
    if len(sent) != 1:
        raise ApiError(
            400,
            "parameter_invalid",
            "A reply from a contact names them with exactly one of intercom_user_id, user_id "
            "or email.",
        )
    if body.admin_id:
        raise ApiError(400, "parameter_invalid", "admin_id is only for replies of type admin.")
    (field, value), contact = next(iter(sent.items())), conversation.contact
    matches = {
        "intercom_user_id": value == str(contact.pk),
        "user_id": value == contact.external_id,
        "email": bool(contact.email) and value.lower() == (contact.email or "").lower(),
    }[field]
    if matches:
        return contact
    named = {"intercom_user_id": "contact_id", "user_id": "external_id", "email": "email"}
    if token_may(request, "contacts:read") and contact_find(**{named[field]: value}) is None:
        raise ApiError(404, "not_found", "User Not Found")
    raise ApiError(
        400,
        "parameter_invalid",
        f"The contact with {field} {value} is not part of conversation {conversation.pk}.",
    )


def _replying_teammate(body: ConversationReply):
    if not body.admin_id:
        raise ApiError(400, "parameter_invalid", "admin_id is required for replies of type admin.")
    if body.intercom_user_id or body.user_id or body.email:
        raise ApiError(
            400,
            "parameter_invalid",
            "intercom_user_id, user_id and email are only for replies from a contact.",
        )
    admin_pk = parse_id(body.admin_id)
    teammate = selectors.teammate_active(admin_pk) if admin_pk is not None else None
    if teammate is None:
        raise ApiError(404, "not_found", "Admin Not Found")
    # The token may write, but the reply is signed by this teammate: their role must let them
    # write in the inbox too, or the API would let a Viewer's name appear on replies.
    if not teammate.has_perm("inbox.add_conversationpart"):
        raise ApiError(
            400,
            "parameter_invalid",
            f"Admin {teammate.pk} may not reply to conversations: their role can't write.",
        )
    return teammate


# Endpoints ------------------------------------------------------------------------------------


@router.post(
    "",
    summary="Create a conversation",
    description="Starts a conversation from a contact (user or lead), as if they had written "
    "in the messenger. `body` is text; it appears in the inbox exactly as sent.",
    response={200: ConversationMessage, **api_errors(404, 409)},
    auth=TokenAuth("conversations:write"),
)
def create_conversation(request: HttpRequest, body: ConversationCreate):
    contact = contact_or_404(body.from_.id)
    text = _text(body.body, html=False)
    at = _moment(body.created_at)
    conversation = services.conversation_start(
        contact=contact, subject=(body.subject or "").strip()[:255], body=text, at=at
    )
    source = conversation.parts.get()
    return {
        "type": "user_message",
        "id": str(source.pk),
        "created_at": unix(source.created_at),
        "body": source.body,
        "message_type": "inapp",
        "conversation_id": str(conversation.pk),
    }


@router.get(
    "",
    summary="List conversations",
    description="Newest activity first; page on with `starting_after` from `pages.next`.",
    response={200: ConversationListOut, **api_errors()},
    auth=TokenAuth("conversations:read"),
)
def list_conversations(
    request: HttpRequest, per_page: int = DEFAULT_PER_PAGE, starting_after: str | None = None
):
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, "parameter_invalid", f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if starting_after and decode_cursor(starting_after) is None:
        raise ApiError(400, "parameter_invalid", "starting_after is not a valid cursor.")
    page = keyset_page(
        selectors.api_conversations(),
        field="last_activity_at",
        cursor=starting_after,
        size=per_page,
    )
    sources = selectors.api_conversation_sources(page.items)
    teammates = selectors.api_conversation_teammates(page.items)
    total = Conversation.objects.count()
    return {
        "type": "conversation.list",
        "conversations": [
            conversation_json(c, source=sources.get(c.source_part_id), teammate_ids=teammates[c.pk])
            for c in page.items
        ],
        "total_count": total,
        "pages": {
            "type": "pages",
            # Keyset pages have no number; like the contacts list, each answers page 1.
            "page": 1,
            "per_page": per_page,
            "total_pages": max(1, -(-total // per_page)),
            "next": {"per_page": per_page, "starting_after": page.next_cursor}
            if page.next_cursor
            else None,
        },
    }


@router.get(
    "/{conversation_id}",
    summary="Retrieve a conversation",
    description="With its parts after the first message (the `source`), oldest first, at most "
    "the latest 500. `display_as=plaintext` gives bodies as stored text instead of HTML.",
    response={200: ConversationOut, **api_errors(404)},
    auth=TokenAuth("conversations:read"),
)
def get_conversation(request: HttpRequest, conversation_id: str, display_as: str | None = None):
    conversation = _conversation(conversation_id)
    return conversation_full_json(conversation, plaintext=display_as == "plaintext")


@router.post(
    "/{conversation_id}/reply",
    summary="ConversationReply to a conversation",
    description="As a teammate (`type: admin`, a comment or an internal note) or as the "
    "conversation's contact (`type: user`, a comment, which reopens a snoozed or closed "
    "conversation). `body` is HTML and is kept as its text.",
    response={200: ConversationOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("conversations:write"),
)
def reply_conversation(request: HttpRequest, conversation_id: str, body: ConversationReply):
    conversation = _conversation(conversation_id)
    if body.message_type == "quick_reply":
        raise ApiError(400, "parameter_invalid", "quick_reply messages are not supported.")
    if body.type == "admin":
        author = _replying_teammate(body)
        kind = PartKind.NOTE if body.message_type == "note" else PartKind.REPLY
    else:
        if body.message_type != "comment":
            raise ApiError(400, "parameter_invalid", "A contact can only reply with a comment.")
        _replying_contact(request, conversation, body)
        author, kind = None, PartKind.CUSTOMER_MESSAGE
    text = _text(body.body, html=True)
    at = _moment(body.created_at)
    services.conversation_part_add(
        conversation=conversation, kind=kind, body=text, author=author, at=at
    )
    if not token_may(request, "conversations:read"):
        # The conversation, its parts and its people are for a token that may read them.
        return {"type": "conversation", "id": str(conversation.pk)}
    # Read again: the state, waiting time and teammates may have changed with this part.
    return conversation_full_json(selectors.api_conversation(conversation.pk))
