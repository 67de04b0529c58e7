"""Seed the standard data attributes and the default qualification-data lists.

The list lives here, not in app code, so this migration means the same thing forever.
"""

from django.db import migrations

ALL = {"ui": True, "api": True, "msg": True, "imp": True, "wf": True, "apps": True}
MESSENGER_ONLY = {"ui": False, "api": False, "msg": True, "imp": False, "wf": False, "apps": False}

# (model, name, label, data type, description, write policy)
STANDARD = [
    ("contact", "name", "Name", "string", "The person's full name.", ALL),
    ("contact", "email", "Email", "string", "The person's email address.", ALL),
    ("contact", "phone", "Phone", "string", "The person's phone number.", ALL),
    (
        "contact",
        "avatar",
        "Avatar",
        "string",
        "URL of the person's picture.",
        {"ui": False, "api": True, "msg": True, "imp": False, "wf": False, "apps": True},
    ),
    (
        "contact",
        "owner_id",
        "Owner",
        "integer",
        "The teammate who owns this person.",
        {"ui": True, "api": True, "msg": False, "imp": False, "wf": True, "apps": False},
    ),
    (
        "contact",
        "signed_up_at",
        "Signed up",
        "datetime",
        "When the user signed up.",
        {"ui": False, "api": True, "msg": True, "imp": True, "wf": False, "apps": True},
    ),
    (
        "contact",
        "last_seen_at",
        "Last seen",
        "datetime",
        "When the person was last active.",
        {"ui": False, "api": True, "msg": True, "imp": False, "wf": False, "apps": False},
    ),
    (
        "contact",
        "web_sessions",
        "Web sessions",
        "integer",
        "How many times they visited.",
        MESSENGER_ONLY,
    ),
    ("contact", "os", "OS", "string", "Operating system of their last visit.", MESSENGER_ONLY),
    ("contact", "browser", "Browser", "string", "Browser of their last visit.", MESSENGER_ONLY),
    (
        "contact",
        "browser_language",
        "Browser language",
        "string",
        "Language their browser asks for.",
        MESSENGER_ONLY,
    ),
    (
        "contact",
        "language_override",
        "Language override",
        "string",
        "Language to talk to them in, whatever their browser says.",
        ALL,
    ),
    ("contact", "location_city", "City", "string", "City of their last visit.", MESSENGER_ONLY),
    (
        "contact",
        "location_region",
        "Region",
        "string",
        "Region of their last visit.",
        MESSENGER_ONLY,
    ),
    (
        "contact",
        "location_country",
        "Country",
        "string",
        "Country of their last visit.",
        MESSENGER_ONLY,
    ),
    (
        "contact",
        "unsubscribed_from_emails",
        "Unsubscribed from emails",
        "boolean",
        "They asked not to receive emails.",
        ALL,
    ),
    ("company", "name", "Company name", "string", "The company's name.", {**ALL, "imp": False}),
    ("company", "plan", "Plan", "string", "The plan the company is on.", {**ALL, "imp": False}),
    (
        "company",
        "monthly_spend",
        "Monthly spend",
        "float",
        "What the company pays a month.",
        {**ALL, "imp": False},
    ),
    ("company", "size", "Company size", "integer", "Number of employees.", {**ALL, "imp": False}),
    (
        "company",
        "website",
        "Company website",
        "string",
        "The company's website.",
        {**ALL, "imp": False},
    ),
    (
        "company",
        "industry",
        "Company industry",
        "string",
        "The company's industry.",
        {**ALL, "imp": False},
    ),
    (
        "company",
        "remote_created_at",
        "Company created at",
        "datetime",
        "When the company signed up in your product.",
        {"ui": False, "api": True, "msg": True, "imp": False, "wf": False, "apps": True},
    ),
    (
        "company",
        "session_count",
        "Sessions",
        "integer",
        "Visits by the company's people.",
        MESSENGER_ONLY,
    ),
    (
        "company",
        "last_request_at",
        "Company last seen",
        "datetime",
        "When one of the company's people was last active.",
        MESSENGER_ONLY,
    ),
]

DEFAULT_QUALIFICATION = {
    "contact": ["name", "email", "phone"],
    "company": ["name", "size", "website", "industry"],
}


def seed(apps, schema_editor):
    DataAttribute = apps.get_model("qualification", "DataAttribute")
    QualificationItem = apps.get_model("qualification", "QualificationItem")
    for model, name, label, data_type, description, policy in STANDARD:
        DataAttribute.objects.update_or_create(
            model=model,
            name=name,
            defaults={
                "label": label,
                "description": description,
                "data_type": data_type,
                "is_standard": True,
                "ui_writable": policy["ui"],
                "api_writable": policy["api"],
                "messenger_writable": policy["msg"],
                "import_writable": policy["imp"],
                "workflow_writable": policy["wf"],
                "apps_writable": policy["apps"],
            },
        )
    for model, names in DEFAULT_QUALIFICATION.items():
        for position, name in enumerate(names, start=1):
            attribute = DataAttribute.objects.get(model=model, name=name)
            QualificationItem.objects.get_or_create(
                attribute=attribute, defaults={"position": position * 10}
            )


def unseed(apps, schema_editor):
    DataAttribute = apps.get_model("qualification", "DataAttribute")
    DataAttribute.objects.filter(is_standard=True, changes__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("qualification", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
