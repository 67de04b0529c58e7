"""Build the demo workspace: teammates, custom attributes, companies, people and conversations.

Once per database: the first run loads everything and records it (a `DemoLoad` row); every
later run (`make run` runs it at each start) changes nothing, so it never re-adds a qualification
item, renames an attribute back or restores a teammate's role that an admin changed. A database
loaded before the record existed is recognised by its first demo company. Values are written
through the services, so the demo has the same history and provenance real data would.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from companies.models import Company
from companies.services import company_create, company_tag
from contacts.models import ContactListEntry, Role
from contacts.services import contact_company_attach, contact_create, contact_tag, segment_create
from inbox.demo_data import (
    BROWSERS,
    CITIES,
    COMPANY_WORDS,
    CUSTOM_ATTRIBUTES,
    DEMO_PASSWORD,
    FIRST,
    INDUSTRIES,
    JOBS,
    LAST,
    MARKER_COMPANY_ID,
    NOTES,
    PLANS,
    QUALIFICATION,
    SUFFIXES,
    TEAMMATES,
    THREADS,
)
from inbox.models import ConversationPart, DemoLoad, PartKind
from inbox.services import (
    conversation_assign,
    conversation_close,
    conversation_part_add,
    conversation_start,
)
from qualification.models import AttributeOutbox, DataAttribute, QualificationItem
from qualification.outbox.delivery import outbox_drain
from qualification.services import (
    attributes_apply,
    data_attribute_create,
    qualification_item_add,
    tag_find_or_create,
)
from qualification.sources import Actor, Source


def demo_load_settle(started, *, wait_seconds: float = 30.0) -> None:
    """The demo data is one bulk load, not changes a teammate waits for: deliver it now, then
    stamp its list rows as changed when they were projected, so the contact list's freshness
    line does not report the load's own duration as lag."""
    deadline = time.monotonic() + wait_seconds
    waiting = AttributeOutbox.objects.filter(processed_at__isnull=True, created_at__gte=started)
    while True:
        outbox_drain()
        if not waiting.exists() or time.monotonic() >= deadline:
            break
        time.sleep(0.2)  # rows another worker holds: its delivery finishes them
    ContactListEntry.objects.filter(projected_at__gte=started).update(changed_at=F("projected_at"))


class Command(BaseCommand):
    help = "Create the demo workspace (teammates admin/agent/viewer, password 'demo')."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=300)
        parser.add_argument("--companies", type=int, default=40)
        parser.add_argument("--conversations", type=int, default=150)
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with production settings (DEBUG false): it creates staff "
            "teammates whose password is 'demo'.",
        )

    def handle(self, *args, contacts: int, companies: int, conversations: int, **options):
        if not settings.DEMO_DATA_ALLOWED and not options["allow_production"]:
            raise CommandError(
                "Refused: these are production settings (DEBUG is false), and the demo creates "
                "staff teammates admin, agent and viewer with the password 'demo'. For a "
                "throwaway staging copy, run it with --allow-production."
            )
        rng = random.Random(2026)
        started = None
        with transaction.atomic():
            loaded = DemoLoad.objects.select_for_update().first()
            if loaded is None and Company.objects.filter(company_id=MARKER_COMPANY_ID).exists():
                loaded = DemoLoad.objects.create()  # loaded before the record existed
            if loaded is not None:
                self.stdout.write(
                    f"Demo workspace already loaded ({loaded.loaded_at:%Y-%m-%d %H:%M} UTC); "
                    "nothing changed."
                )
            else:
                started = timezone.now()
                teammates = self._teammates()
                self._attributes()
                self._customers(rng, teammates, contacts, companies, conversations)
                DemoLoad.objects.create()
        if started is not None:
            demo_load_settle(started)
            self.stdout.write(self.style.SUCCESS("Demo workspace created."))
        self.stdout.write(
            "Demo logins (password 'demo'): admin (Admin), agent (Teammate), viewer (Viewer)"
        )

    def _teammates(self) -> dict[str, object]:
        User = get_user_model()
        users = {}
        for username, first, last, role in TEAMMATES:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@switchboard.example",
                    "is_staff": True,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _attributes(self) -> None:
        existing = set(DataAttribute.objects.values_list("model", "name"))
        for model, name, label, data_type, options, description, extra in CUSTOM_ATTRIBUTES:
            if (model, name) in existing:
                continue
            extra = dict(extra)
            data_attribute_create(
                model=model,
                name=name,
                label=label,
                data_type=data_type,
                options=options or None,
                description=description,
                precedence=extra.pop("precedence", None),
                policy=extra,
            )
        listed = set(QualificationItem.objects.values_list("attribute_id", flat=True))
        for model, names in QUALIFICATION.items():
            for name in names:
                attribute = DataAttribute.objects.get(model=model, name=name)
                if attribute.pk not in listed:
                    qualification_item_add(attribute=attribute)

    def _customers(self, rng, teammates, n_contacts: int, n_companies: int, n_conversations):
        api = Actor("api_token", "demo", "Demo app token")
        messenger = Actor("messenger", "", "Messenger")
        agent = teammates["agent"]
        now = timezone.now()
        tags = [tag_find_or_create(name=n) for n in ("VIP", "Churn risk", "Beta", "Bug")]

        companies = []
        for i in range(1, n_companies + 1):
            word = COMPANY_WORDS[(i - 1) % len(COMPANY_WORDS)]
            name = f"{word} {SUFFIXES[(i * 7) % len(SUFFIXES)]}"
            slug = name.lower().replace(" ", "")
            company = company_create(
                company_id=f"demo-{i:04d}",
                values={
                    "name": name,
                    "plan": rng.choice(PLANS),
                    "size": rng.choice([5, 12, 40, 120, 600, 2500]),
                    "monthly_spend": round(rng.uniform(0, 9000), 2),
                    "website": f"https://{slug}.example",
                    "industry": rng.choice(INDUSTRIES),
                    "remote_created_at": now - timedelta(days=rng.randint(30, 1500)),
                    "account_tier": rng.choice(["Bronze", "Silver", "Gold", "Platinum"]),
                    "seats": rng.randint(1, 400),
                    "arr": round(rng.uniform(1000, 250000), 2),
                    "is_partner": rng.random() < 0.15,
                    "renewal_date": (now + timedelta(days=rng.randint(1, 365))).date(),
                    "last_qbr_at": now - timedelta(days=rng.randint(1, 200)),
                    "support_region": rng.choice(["EMEA", "Americas", "APAC"]),
                },
                source=Source.REST_API,
                actor=api,
            )
            if rng.random() < 0.2:
                company_tag(
                    company=company, tag=rng.choice(tags), source=Source.REST_API, actor=api
                )
            companies.append(company)

        people = []
        for i in range(1, n_contacts + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            is_user = rng.random() < 0.75
            company = rng.choice(companies)
            domain = company.website.removeprefix("https://")
            values = {
                "name": f"{first} {last}",
                "email": f"{first}.{last}{i}@{domain}".lower(),
                "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "job_title": rng.choice(JOBS),
                "beta_tester": rng.random() < 0.3,
                "satisfaction_score": round(rng.uniform(1, 5), 1),
            }
            if is_user:
                values |= {
                    "signed_up_at": now - timedelta(days=rng.randint(1, 900)),
                    "subscription_level": rng.choice(PLANS),
                    "projects_created": rng.randint(0, 80),
                    "last_order_at": now - timedelta(hours=rng.randint(1, 2000)),
                }
            else:
                values |= {
                    "lead_status": rng.choice(["New", "Contacted", "Qualified"]),
                    "trial_ends_on": (now + timedelta(days=rng.randint(1, 30))).date(),
                }
            if is_user:
                person = contact_create(
                    external_id=f"demo-user-{i:04d}",
                    values=values,
                    source=Source.REST_API,
                    actor=api,
                )
            else:
                # A lead leaves their name and email in the messenger; a teammate qualifies
                # the rest while chatting.
                identity = ("name", "email", "phone")
                person = contact_create(
                    role=Role.LEAD,
                    values={k: v for k, v in values.items() if k in identity},
                    source=Source.MESSENGER,
                    actor=messenger,
                )
                attributes_apply(
                    target=person,
                    values={k: v for k, v in values.items() if k not in identity},
                    source=Source.QUALIFICATION,
                    actor=agent,
                )
            browser, os_name = rng.choice(BROWSERS)
            city, country = rng.choice(CITIES)
            attributes_apply(
                target=person,
                values={
                    "last_seen_at": now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                    "web_sessions": rng.randint(1, 300),
                    "browser": browser,
                    "os": os_name,
                    "location_city": city,
                    "location_country": country,
                },
                source=Source.MESSENGER_VERIFIED if is_user else Source.MESSENGER,
                actor=messenger,
            )
            if is_user or rng.random() < 0.3:
                contact_company_attach(
                    contact=person, company=company, source=Source.REST_API, actor=api
                )
                if rng.random() < 0.1:
                    other = rng.choice(companies)
                    contact_company_attach(
                        contact=person, company=other, source=Source.REST_API, actor=api
                    )
            if rng.random() < 0.25:
                contact_tag(
                    contact=person, tag=rng.choice(tags), source=Source.QUALIFICATION, actor=agent
                )
            if rng.random() < 0.1:
                attributes_apply(
                    target=person,
                    values={"job_title": rng.choice(JOBS), "lead_status": "Qualified"}
                    if not is_user
                    else {"job_title": rng.choice(JOBS)},
                    source=Source.QUALIFICATION,
                    actor=agent,
                )
            people.append(person)

        assignees = [None, teammates["agent"], teammates["admin"]]
        for i in range(n_conversations):
            person = people[(i * 37) % len(people)]
            subject, question, answer = THREADS[i % len(THREADS)]
            started = now - timedelta(minutes=rng.randint(5, 60 * 24 * 20))
            conversation = conversation_start(
                contact=person, subject=subject, body=question, at=started
            )
            conversation_assign(
                conversation=conversation,
                assignee=rng.choice(assignees),
                actor=teammates["admin"],
            )
            at = started
            if rng.random() < 0.3:
                at += timedelta(minutes=rng.randint(1, 30))
                conversation_part_add(
                    conversation=conversation,
                    kind=PartKind.NOTE,
                    body=rng.choice(NOTES),
                    author=teammates["admin"],
                    at=at,
                )
            if rng.random() < 0.7:
                at += timedelta(minutes=rng.randint(2, 240))
                conversation_part_add(
                    conversation=conversation,
                    kind=PartKind.REPLY,
                    body=answer,
                    author=conversation.assignee or agent,
                    at=at,
                )
                if rng.random() < 0.5:
                    at += timedelta(minutes=rng.randint(2, 600))
                    conversation_part_add(
                        conversation=conversation,
                        kind=PartKind.CUSTOMER_MESSAGE,
                        body=rng.choice(
                            [
                                "Thanks, that worked!",
                                "Perfect, thank you.",
                                "Still not working for me, sorry.",
                                "Great, cheers!",
                            ]
                        ),
                        at=at,
                    )
                    if rng.random() < 0.5:
                        conversation_close(conversation=conversation, actor=agent)
        for name, query in [
            ("Pro users", "role=user&cf=subscription_level&op=is&v=Pro"),
            ("Qualified leads", "role=lead&cf=lead_status&op=is&v=Qualified"),
            ("Beta testers", "cf=beta_tester&op=true"),
        ]:
            segment_create(name=name, query=query, created_by=teammates["admin"])
        assert ConversationPart.objects.exists()
