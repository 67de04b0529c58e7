"""Reads of companies for the teammate UI: finding one by what a teammate types."""

from django.db.models import Q

from .models import Company

SUGGESTIONS = 10


def company_suggestions(text: str, *, limit: int = SUGGESTIONS) -> list[Company]:
    """Companies whose name or company ID starts with what was typed, by name."""
    text = text.strip()
    if not text:
        return []
    return list(
        Company.objects.filter(Q(name__istartswith=text) | Q(company_id__istartswith=text))
        .order_by("name", "company_id")
        .only("pk", "name", "company_id")[:limit]
    )


def companies_matching(text: str) -> list[Company]:
    """The companies a typed name means: the one with this company ID, else those with this
    name (any case). At most two are returned; two means the name is ambiguous."""
    text = text.strip()
    if not text:
        return []
    by_id = list(Company.objects.filter(company_id=text)[:1])
    return by_id or list(Company.objects.filter(name__iexact=text).order_by("pk")[:2])
