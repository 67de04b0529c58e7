"""Factories for every model. Contacts and companies get their attribute values through the one
write path, like everywhere else; pass `values={...}` to choose them."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from companies.models import Company
from contacts.models import (
    CompanyMembership,
    Contact,
    ContactListEntry,
    Event,
    EventSummary,
    Role,
    Segment,
    SegmentMembership,
)
from core.write_guard import writes_allowed
from inbox.models import Conversation, ConversationPart, PartKind
from qualification.models import (
    AttributeChange,
    AttributeOutbox,
    DataAttribute,
    DataType,
    QualificationItem,
    Tag,
)
from qualification.services import attributes_apply
from qualification.sources import Actor, Source
from workspace.models import ApiToken

FACTORY_ACTOR = Actor("system", "factory", "Test factory")
# Who tests say is behind a change they make through a service.
TEST_ACTOR = Actor("system", "tests", "Test")


class DjangoModelFactory(factory.django.DjangoModelFactory):
    """Test set-up makes rows directly (core.write_guard): a factory is not a path of the
    product, and the values it sets still go through the write path (`values=`)."""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        with writes_allowed():
            return super()._generate(strategy, params)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"teammate{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.django.Password("demo")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        """`UserFactory(role="Viewer")` puts the teammate in that role's group."""
        if create and extracted:
            obj.groups.add(Group.objects.get(name=extracted))


class DataAttributeFactory(DjangoModelFactory):
    class Meta:
        model = DataAttribute

    model = "contact"
    name = factory.Sequence(lambda n: f"custom_{n}")
    label = factory.LazyAttribute(lambda a: a.name.replace("_", " ").capitalize())
    data_type = DataType.STRING
    options = factory.LazyAttribute(
        lambda a: ["Bronze", "Silver", "Gold"] if a.data_type == DataType.OPTIONS else []
    )


class QualificationItemFactory(DjangoModelFactory):
    class Meta:
        model = QualificationItem

    attribute = factory.SubFactory(DataAttributeFactory)
    position = factory.Sequence(lambda n: 100 + n)


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


def _apply_values(obj, create, extracted, defaults):
    values = defaults if extracted is None else extracted
    if create and values:
        attributes_apply(target=obj, values=values, source=Source.ADMIN, actor=FACTORY_ACTOR)


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    company_id = factory.Sequence(lambda n: f"company-{n}")

    @factory.post_generation
    def values(obj, create, extracted, **kwargs):
        _apply_values(obj, create, extracted, {"name": f"Company {obj.company_id}"})


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    role = Role.USER
    external_id = factory.LazyAttributeSequence(
        lambda c, n: f"user-{n}" if c.role == Role.USER else None
    )

    @factory.post_generation
    def values(obj, create, extracted, **kwargs):
        defaults = {"name": f"Person {obj.pk}", "email": f"person{obj.pk}@example.com"}
        _apply_values(obj, create, extracted, defaults)


class CompanyMembershipFactory(DjangoModelFactory):
    class Meta:
        model = CompanyMembership

    contact = factory.SubFactory(ContactFactory)
    company = factory.SubFactory(CompanyFactory)
    linked_at = factory.LazyFunction(timezone.now)
    source = Source.REST_API


class ConversationFactory(DjangoModelFactory):
    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)
    subject = factory.Faker("sentence", nb_words=4)
    last_activity_at = factory.LazyFunction(timezone.now)


class ConversationPartFactory(DjangoModelFactory):
    class Meta:
        model = ConversationPart

    conversation = factory.SubFactory(ConversationFactory)
    kind = PartKind.CUSTOMER_MESSAGE
    body = factory.Faker("paragraph")
    author_contact = factory.LazyAttribute(
        lambda p: p.conversation.contact if p.kind == PartKind.CUSTOMER_MESSAGE else None
    )
    author_user = factory.Maybe(
        factory.LazyAttribute(lambda p: p.kind != PartKind.CUSTOMER_MESSAGE),
        yes_declaration=factory.SubFactory(UserFactory),
        no_declaration=None,
    )
    created_at = factory.LazyFunction(timezone.now)


class DemoLoadFactory(DjangoModelFactory):
    class Meta:
        model = "inbox.DemoLoad"


class AttributeChangeFactory(DjangoModelFactory):
    class Meta:
        model = AttributeChange

    target_type = "contact"
    target_id = 1
    attribute_name = "name"
    new_value = "Someone"
    source = Source.REST_API
    actor_kind = "system"
    actor_label = "Test"
    target_version = 2
    created_at = factory.LazyFunction(timezone.now)


class AttributeOutboxFactory(DjangoModelFactory):
    class Meta:
        model = AttributeOutbox

    target_type = "contact"
    target_id = 1
    target_version = 2
    attribute_names = factory.LazyFunction(lambda: ["name"])
    source = Source.REST_API
    created_at = factory.LazyFunction(timezone.now)


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    query = "role=user"


class SegmentMembershipFactory(DjangoModelFactory):
    class Meta:
        model = SegmentMembership

    segment = factory.SubFactory(SegmentFactory)
    contact = factory.SubFactory(ContactFactory)
    evaluated_at = factory.LazyFunction(timezone.now)


class ContactListEntryFactory(DjangoModelFactory):
    """A read-model row written directly; tests of the projector use the projector instead."""

    class Meta:
        model = ContactListEntry

    contact_id = factory.Sequence(lambda n: 1_000_000 + n)
    role = Role.USER
    name = factory.Sequence(lambda n: f"Listed {n}")
    created_at = factory.LazyFunction(timezone.now)
    sort_last_seen = factory.LazyFunction(timezone.now)
    sort_signed_up = factory.LazyFunction(timezone.now)
    source_version = 1
    changed_at = factory.LazyFunction(timezone.now)
    projected_at = factory.LazyFunction(timezone.now)


class EventFactory(DjangoModelFactory):
    """An event row written directly (no summary); tests of tracking use event_track."""

    class Meta:
        model = Event

    contact = factory.SubFactory(ContactFactory)
    event_name = factory.Sequence(lambda n: f"did-thing-{n}")
    created_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    metadata = factory.LazyFunction(dict)
    source = Source.REST_API
    actor_kind = "system"
    actor_label = "Test factory"
    received_at = factory.LazyFunction(timezone.now)


class EventSummaryFactory(DjangoModelFactory):
    class Meta:
        model = EventSummary

    contact = factory.SubFactory(ContactFactory)
    event_name = factory.Sequence(lambda n: f"did-thing-{n}")
    tracked_count = 1
    first_at = factory.LazyFunction(timezone.now)
    last_at = factory.LazyAttribute(lambda s: s.first_at)


class ApiTokenFactory(DjangoModelFactory):
    """A token row; use workspace.tokens.api_token_create when the test needs the secret."""

    class Meta:
        model = ApiToken

    name = factory.Sequence(lambda n: f"Token {n}")
    prefix = factory.Sequence(lambda n: f"sb_{n:06d}")
    digest = factory.Sequence(lambda n: f"{n:064d}")
    scopes = factory.LazyFunction(lambda: ["contacts:read"])


def given_tags(target, *tags) -> None:
    """Set-up: `target` (a contact or company) already carries these tags, put there directly
    rather than through a service (no history, no outbox row)."""
    with writes_allowed():
        target.tags.add(*tags)
