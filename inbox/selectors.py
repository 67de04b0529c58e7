from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from companies.models import Company
from contacts.models import CompanyMembership, Contact
from core.pagination import keyset_after
from qualification.selectors import (
    attribute_rows,
    qualification_attributes_by_model,
)

from . import services
from .models import Conversation, ConversationPart, ConversationState, PartKind

API_PARTS_LIMIT = 500
_EPOCH = Value(datetime(1970, 1, 1, tzinfo=UTC), output_field=DateTimeField())


def inbox_conversations() -> QuerySet[Conversation]:
    """Conversations with what each inbox row shows, in a constant number of queries."""
    last_part = ConversationPart.objects.filter(conversation=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return (
        Conversation.objects.select_related("contact", "assignee")
        .annotate(
            snippet=Subquery(last_part.values("body")[:1]),
            snippet_kind=Subquery(last_part.values("kind")[:1]),
        )
        .prefetch_related("contact__tags")
    )


def conversation_for_page(pk: int) -> Conversation:
    memberships = CompanyMembership.objects.select_related("company").order_by("linked_at", "id")
    return get_object_or_404(
        Conversation.objects.select_related(
            "contact", "contact__owner", "assignee"
        ).prefetch_related(
            Prefetch(
                "parts",
                queryset=ConversationPart.objects.select_related("author_user", "author_contact"),
            ),
            Prefetch("contact__memberships", queryset=memberships),
            "contact__tags",
            "contact__segments",
            "tags",
        ),
        pk=pk,
    )


def conversation_neighbours(
    filtered: QuerySet[Conversation], conversation: Conversation
) -> tuple[int | None, int | None]:
    """The conversations just above (previous) and just below (next) this one in a filtered
    inbox, newest activity first: one query, whose two LIMIT 1 subqueries walk the activity
    index from this conversation's position, whether or not it still matches the filters."""
    position = (conversation.last_activity_at, conversation.pk)
    base = filtered.order_by().values("pk")

    def step(descending: bool):
        after = keyset_after(
            base, field="last_activity_at", id_field="pk", position=position, descending=descending
        )
        order = ("-last_activity_at", "-pk") if descending else ("last_activity_at", "pk")
        return Subquery(after.order_by(*order)[:1])

    row = (
        Conversation.objects.filter(pk=conversation.pk)
        .annotate(previous_id=step(descending=False), next_id=step(descending=True))
        .values("previous_id", "next_id")
        .first()
    )
    return (row["previous_id"], row["next_id"]) if row else (None, None)


def teammates() -> list:
    """Active teammates, each with `can_be_assigned`: whether their role can reply, which
    conversation_assign asks of an assignee (a Viewer's cannot). One query."""
    User = get_user_model()
    app_label, codename = services.ASSIGNEE_PERMISSION.split(".")
    reply = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    by_role = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__permissions__in=reply
    )
    by_grant = User.user_permissions.through.objects.filter(
        user_id=OuterRef("pk"), permission__in=reply
    )
    can_reply = Q(is_superuser=True) | Exists(by_role) | Exists(by_grant)
    return list(
        User.objects.filter(is_active=True)
        .annotate(can_be_assigned=ExpressionWrapper(can_reply, output_field=BooleanField()))
        .order_by("first_name", "username")
    )


def teammate_names(users) -> dict[int, str]:
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


def customer_panel(
    *,
    contact: Contact,
    company_id: int | None,
    can_edit_contact: bool,
    can_edit_company: bool,
    names: dict[int, str],
) -> dict:
    """The sidebar's qualification data: the person's attributes and those of the chosen
    company (the first linked one unless the teammate picked another)."""
    lists = qualification_attributes_by_model()
    companies: list[Company] = [m.company for m in contact.memberships.all()]
    company = next(
        (c for c in companies if c.pk == company_id), companies[0] if companies else None
    )
    return {
        "contact": contact,
        "companies": companies,
        "company": company,
        "person_rows": attribute_rows(
            target=contact, attributes=lists["contact"], can_edit=can_edit_contact, teammates=names
        ),
        "company_rows": attribute_rows(
            target=company, attributes=lists["company"], can_edit=can_edit_company, teammates=names
        )
        if company
        else [],
    }


# The REST API -------------------------------------------------------------------------------------


def api_conversations() -> QuerySet[Conversation]:
    """Conversations with what Intercom's conversation object needs beyond the row: which part
    started it (its `source`) and since when the customer has been waiting for a teammate (the
    first customer message after the last teammate reply)."""
    parts = ConversationPart.objects.filter(conversation=OuterRef("pk"))
    last_reply_at = parts.filter(kind=PartKind.REPLY).order_by("-created_at", "-id")
    return (
        Conversation.objects.select_related("contact")
        .annotate(
            source_part_id=Subquery(parts.order_by("created_at", "id").values("pk")[:1]),
            last_reply_at=Subquery(last_reply_at.values("created_at")[:1]),
        )
        .annotate(
            customer_waiting_since=Subquery(
                parts.filter(
                    kind=PartKind.CUSTOMER_MESSAGE,
                    created_at__gt=Coalesce(OuterRef("last_reply_at"), _EPOCH),
                )
                .order_by("created_at", "id")
                .values("created_at")[:1]
            )
        )
    )


def api_conversation(pk: int) -> Conversation | None:
    return api_conversations().filter(pk=pk).first()


def api_conversation_sources(conversations: list[Conversation]) -> dict[int, ConversationPart]:
    """The first part of each conversation, with its author, in one query."""
    ids = [c.source_part_id for c in conversations if c.source_part_id]
    return ConversationPart.objects.select_related("author_user", "author_contact").in_bulk(ids)


def api_conversation_teammates(conversations: list[Conversation]) -> dict[int, list[int]]:
    """The teammates who wrote in each conversation (replies or notes), in one query."""
    found: dict[int, list[int]] = {c.pk: [] for c in conversations}
    rows = (
        ConversationPart.objects.filter(
            conversation__in=[c.pk for c in conversations], author_user__isnull=False
        )
        .values_list("conversation_id", "author_user_id")
        .distinct()
        .order_by("conversation_id", "author_user_id")
    )
    for conversation_id, user_id in rows:
        found[conversation_id].append(user_id)
    return found


def api_conversation_parts(conversation: Conversation) -> tuple[list[ConversationPart], int]:
    """The parts after the source, oldest first; the most recent API_PARTS_LIMIT of them, as
    Intercom caps them, and how many there are in all."""
    rest = ConversationPart.objects.filter(conversation=conversation).exclude(
        pk=conversation.source_part_id
    )
    latest = list(
        rest.select_related("author_user", "author_contact").order_by("-created_at", "-id")[
            :API_PARTS_LIMIT
        ]
    )
    total = len(latest) if len(latest) < API_PARTS_LIMIT else rest.count()
    return latest[::-1], total


def api_waiting_since(conversation: Conversation) -> datetime | None:
    """Nobody waits on a closed conversation."""
    if conversation.state == ConversationState.CLOSED:
        return None
    return conversation.customer_waiting_since


def teammate_active(pk: int):
    return get_user_model().objects.filter(pk=pk, is_active=True).first()
