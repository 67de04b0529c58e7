"""How the contacts API reads contacts: with their tag and company ids in the same query,
and by id or 404."""

import functools
import json

from django.db import connection
from django.db.models import Aggregate, JSONField, OuterRef, QuerySet, Subquery

from core.api import ApiError
from qualification.values import parse_id

from .models import CompanyMembership, Contact


class JSONIds(Aggregate):
    """A group's values as one JSON array: json_agg on PostgreSQL, json_group_array on SQLite."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # As text, which JSONField decodes (psycopg would hand over a decoded json value).
        return super().as_sql(
            compiler,
            connection,
            function="JSON_AGG",
            template="(%(function)s(%(distinct)s%(expressions)s))::text",
            **extra_context,
        )


def _ids_of(rows: QuerySet, column: str) -> Subquery:
    return Subquery(
        rows.filter(contact_id=OuterRef("pk"))
        .order_by()
        .values("contact_id")
        .annotate(ids=JSONIds(column))
        .values("ids")
    )


def with_ids(contacts: QuerySet) -> QuerySet:
    return contacts.annotate(
        tag_ids=_ids_of(Contact.tags.through.objects.all(), "tag_id"),
        company_ids=_ids_of(CompanyMembership.objects.all(), "company_id"),
    )


@functools.cache
def _contacts_with_ids() -> QuerySet:
    # Built once: resolving the subqueries costs more than the query itself takes to run.
    return with_ids(Contact.objects.all())


def contacts_with_ids() -> QuerySet:
    """Contacts with their tag and company ids, in one query: the API's contact object lists
    both, and single-contact requests (most of the API's traffic) save two round trips."""
    return _contacts_with_ids().all()  # a fresh clone: the shared one is never evaluated


@functools.cache
def _contact_by_id_sql(vendor: str) -> str:
    # Most API requests load one contact: compiled once, this query costs less than half the
    # CPU it does built through the ORM every time (the id subqueries are most of that).
    sql, params = contacts_with_ids().filter(pk=0).query.sql_with_params()
    assert list(params) == [0], params
    return sql


def contact_or_404(contact_id: str) -> Contact:
    """The contact with this id, with its tag and company ids, or Intercom's 404."""
    pk = parse_id(contact_id)
    if pk is None:
        raise ApiError(404, "not_found", "User Not Found")
    found = Contact.objects.raw(_contact_by_id_sql(connection.vendor), [pk])
    contact = next(iter(found), None)
    if contact is None:
        raise ApiError(404, "not_found", "User Not Found")
    # Plain SQL skips the ORM's decoding of the annotations: the id lists arrive as JSON text.
    contact.tag_ids = json.loads(contact.tag_ids or "[]")
    contact.company_ids = json.loads(contact.company_ids or "[]")
    return contact
