from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from companies.models import Company
from contacts.models import CompanyMembership, Contact
from qualification.selectors import (
    attribute_rows,
    qualification_attributes_by_model,
)

from .models import ApiToken, Conversation, ConversationPart


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
        ),
        pk=pk,
    )


def teammates() -> list:
    return list(get_user_model().objects.filter(is_active=True).order_by("first_name", "username"))


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


def api_tokens_for_settings() -> list[ApiToken]:
    """Every token for the settings page, active ones first, in one query."""
    return list(
        ApiToken.objects.select_related("created_by").order_by(
            F("revoked_at").asc(nulls_first=True), "-created_at", "-pk"
        )
    )
