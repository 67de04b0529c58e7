"""The shapes of the contacts API: what requests send and what responses answer, in
Intercom's REST API 2.14 form, and `contact_json`, which fills a contact's."""

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from companies.api import CompanyOut
from core.api import ObjectRef, ResponseSchema, unix

from .models import Contact, Role

EXTERNAL_ID_MAX = Contact._meta.get_field("external_id").max_length

STANDARD_FIELDS = [
    "email",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
    "language_override",
]


class ContactWrite(Schema):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    external_id: str | None = Field(None, max_length=EXTERNAL_ID_MAX)
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    avatar: str | None = None
    signed_up_at: int | None = None
    last_seen_at: int | None = None
    owner_id: int | None = None
    unsubscribed_from_emails: bool | None = None
    language_override: str | None = None
    custom_attributes: dict[str, Any] | None = None


# Response schemas: exactly what the endpoints send, in the order they send it (Intercom's
# shapes). Fields Switchboard does not record are present and null or empty.


class AddressableRef(ResponseSchema):
    type: Literal["tag", "company"]
    id: str
    url: str


class AddressableList(ResponseSchema):
    type: Literal["list"]
    data: list[AddressableRef]
    url: str
    total_count: int
    has_more: bool


class SocialProfiles(ResponseSchema):
    type: Literal["list"]
    data: list[dict[str, Any]]


class ContactLocation(ResponseSchema):
    type: Literal["location"]
    country: str | None
    region: str | None
    city: str | None
    country_code: str | None
    continent_code: str | None


class ContactOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    workspace_id: str
    external_id: str | None
    role: Literal["user", "lead"]
    email: str | None
    email_domain: str | None
    phone: str | None
    name: str | None
    avatar: str | None
    owner_id: int | None
    social_profiles: SocialProfiles
    has_hard_bounced: bool
    marked_email_as_spam: bool
    unsubscribed_from_emails: bool
    created_at: int
    updated_at: int
    signed_up_at: int | None
    last_seen_at: int | None
    last_replied_at: int | None
    last_contacted_at: int | None
    last_email_opened_at: int | None
    last_email_clicked_at: int | None
    language_override: str | None
    browser: str | None
    browser_version: str | None
    browser_language: str | None
    os: str | None
    location: ContactLocation
    custom_attributes: dict[str, Any]
    tags: AddressableList
    notes: AddressableList
    companies: AddressableList
    archived: bool


class ContactNextPage(ResponseSchema):
    per_page: int
    starting_after: str


class ContactPages(ResponseSchema):
    type: Literal["pages"]
    page: int
    per_page: int
    total_pages: int
    next: ContactNextPage | None


class ContactListOut(ResponseSchema):
    type: Literal["list"]
    data: list[ContactOut]
    total_count: int
    pages: ContactPages


class ContactArchivedOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    external_id: str | None
    archived: bool


class ContactDeletedOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    external_id: str | None
    deleted: bool


class ContactCompaniesPages(ResponseSchema):
    type: Literal["pages"]
    next: None
    page: int
    per_page: int


class ContactCompaniesOut(ResponseSchema):
    type: Literal["list"]
    data: list[CompanyOut | ObjectRef]
    companies: list[CompanyOut | ObjectRef] = Field(
        description="The same companies as `data`: the official SDK reads this key."
    )
    total_count: int
    pages: ContactCompaniesPages


class CompanyContactsPages(ResponseSchema):
    type: Literal["pages"]
    page: int
    per_page: int
    total_pages: int


class CompanyContactsOut(ResponseSchema):
    type: Literal["list"]
    data: list[ContactOut | ObjectRef]
    total_count: int
    pages: CompanyContactsPages


def contact_json(contact: Contact) -> dict[str, Any]:
    """Intercom's contact object, for a contact loaded by `_contacts()` (with its tag and
    company ids)."""
    url = f"/contacts/{contact.pk}"
    tags = [
        {"type": "tag", "id": str(pk), "url": f"/tags/{pk}"} for pk in sorted(contact.tag_ids or [])
    ]
    companies = [
        {"type": "company", "id": str(pk), "url": f"/companies/{pk}"}
        for pk in sorted(contact.company_ids or [])
    ]

    def listed(data, kind):
        return {
            "type": "list",
            "data": data,
            "url": f"{url}/{kind}",
            "total_count": len(data),
            "has_more": False,
        }

    return {
        "type": "contact",
        "id": str(contact.pk),
        "workspace_id": "switchboard",
        "external_id": contact.external_id,
        "role": contact.role,
        "email": contact.email,
        "email_domain": contact.email.rpartition("@")[2] if contact.email else None,
        "phone": contact.phone,
        "name": contact.name,
        "avatar": contact.avatar,
        "owner_id": contact.owner_id,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": contact.unsubscribed_from_emails,
        "created_at": unix(contact.created_at),
        "updated_at": unix(contact.updated_at),
        "signed_up_at": unix(contact.signed_up_at),
        "last_seen_at": unix(contact.last_seen_at),
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": contact.language_override,
        "browser": contact.browser,
        "browser_version": None,
        "browser_language": contact.browser_language,
        "os": contact.os,
        "location": {
            "type": "location",
            "country": contact.location_country,
            "region": contact.location_region,
            "city": contact.location_city,
            "country_code": None,
            "continent_code": None,
        },
        "custom_attributes": contact.custom_attributes,
        "tags": listed(tags, "tags"),
        "notes": listed([], "notes"),
        "companies": listed(companies, "companies"),
        "archived": contact.archived,
    }


class SearchPagination(Schema):
    per_page: int = 50
    starting_after: str | None = None


class SearchRequest(Schema):
    query: dict[str, Any]
    pagination: SearchPagination | None = None


class MergeRequest(Schema):
    from_: str = Field(alias="from")
    into: str


class CompanyRef(Schema):
    id: str | None = None
