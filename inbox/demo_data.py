"""The demo workspace's data: teammates, custom attributes, the qualification list, names,
companies and conversation threads. `python manage.py seed_demo` makes them."""

from qualification.models import Precedence

DEMO_PASSWORD = "demo"
TEAMMATES = [
    ("admin", "Ada", "Okafor", "Admin"),
    ("agent", "Priya", "Raman", "Teammate"),
    ("viewer", "Victor", "Lind", "Viewer"),
]
MARKER_COMPANY_ID = "demo-0001"

CUSTOM_ATTRIBUTES = [
    # model, name, label, type, options, description, extra
    ("contact", "job_title", "Job title", "string", [], "What they do.", {}),
    (
        "contact",
        "lead_status",
        "Lead status",
        "options",
        ["New", "Contacted", "Qualified", "Unqualified", "Customer"],
        "Where the person is in the sales pipeline.",
        {"precedence": Precedence.MANUAL_WINS, "messenger_writable": False},
    ),
    (
        "contact",
        "subscription_level",
        "Subscription level",
        "options",
        ["Free", "Starter", "Pro", "Enterprise"],
        "Sent by the app at every login.",
        {"messenger_writable": True},
    ),
    (
        "contact",
        "projects_created",
        "Projects created",
        "integer",
        [],
        "Sent by the app.",
        {"messenger_writable": True},
    ),
    ("contact", "satisfaction_score", "Satisfaction score", "float", [], "Last CSAT, 1-5.", {}),
    ("contact", "beta_tester", "Beta tester", "boolean", [], "Opted into beta features.", {}),
    ("contact", "trial_ends_on", "Trial ends on", "date", [], "Last day of the trial.", {}),
    ("contact", "last_order_at", "Last order at", "datetime", [], "From the shop.", {}),
    (
        "company",
        "account_tier",
        "Account tier",
        "options",
        ["Bronze", "Silver", "Gold", "Platinum"],
        "Support tier.",
        {},
    ),
    ("company", "seats", "Seats", "integer", [], "Licensed seats.", {}),
    ("company", "arr", "ARR", "float", [], "Annual recurring revenue in USD.", {}),
    ("company", "is_partner", "Partner", "boolean", [], "A reseller or agency partner.", {}),
    ("company", "renewal_date", "Renewal date", "date", [], "When the contract renews.", {}),
    ("company", "last_qbr_at", "Last business review", "datetime", [], "Last QBR meeting.", {}),
    ("company", "support_region", "Support region", "string", [], "Region that serves them.", {}),
]
QUALIFICATION = {
    "contact": [
        "name",
        "email",
        "phone",
        "job_title",
        "lead_status",
        "subscription_level",
        "beta_tester",
        "trial_ends_on",
        "satisfaction_score",
    ],
    "company": ["name", "size", "website", "industry", "account_tier", "renewal_date", "arr"],
}

FIRST = [
    "Amelia",
    "Noah",
    "Olivia",
    "Liam",
    "Sofia",
    "Mateo",
    "Aisha",
    "Kenji",
    "Lena",
    "Tomas",
    "Chloe",
    "Ravi",
    "Ines",
    "Jonas",
    "Maya",
    "Hugo",
    "Zara",
    "Felix",
    "Nadia",
    "Omar",
    "Elena",
    "Luca",
    "Freya",
    "Sami",
    "Ivy",
    "Arjun",
    "Clara",
    "Diego",
    "Hana",
    "Yusuf",
]
LAST = [
    "Smith",
    "Garcia",
    "Mueller",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Tanaka",
    "Haddad",
    "Silva",
    "Johansson",
    "Dubois",
    "Patel",
    "Novak",
    "Schmidt",
    "Kim",
    "Okeke",
    "Costa",
    "Larsen",
    "Moreau",
    "Cohen",
    "Fischer",
    "Ahmed",
    "Brennan",
    "Ortiz",
    "Weber",
]
COMPANY_WORDS = [
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Pied",
    "Piper",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Dynamic",
    "Aperture",
    "Black",
    "Mesa",
    "Blue",
    "Sun",
]
SUFFIXES = ["Labs", "Systems", "Analytics", "Cloud", "Foods", "Logistics", "Studio", "Health"]
INDUSTRIES = ["Software", "Retail", "Logistics", "Healthcare", "Finance", "Education", "Media"]
PLANS = ["Free", "Starter", "Pro", "Enterprise"]
JOBS = ["CTO", "Head of Support", "Engineer", "Product Manager", "Founder", "Designer", "Ops"]
BROWSERS = [("Chrome", "macOS"), ("Firefox", "Windows"), ("Safari", "iOS"), ("Edge", "Windows")]
CITIES = [
    ("Berlin", "Germany"),
    ("Lisbon", "Portugal"),
    ("Austin", "United States"),
    ("Lagos", "Nigeria"),
    ("Pune", "India"),
    ("Melbourne", "Australia"),
]
THREADS = [
    (
        "Can't export my invoices",
        "Hi, the Export button on the Billing page spins forever. I need last quarter's invoices "
        "for our accountant by Friday.",
        "Thanks for flagging this! I've reproduced it on our side: exports over 500 rows time "
        "out. I've sent you the CSV by email in the meantime.",
    ),
    (
        "Upgrade to annual plan?",
        "We'd like to move from monthly to annual billing. Do we keep our current seats and "
        "is there a discount?",
        "Happy to help. Annual billing keeps all seats and saves two months. I can switch you "
        "over today; shall I?",
    ),
    (
        "SSO login loop",
        "Since this morning our team gets redirected back to the login page after Okta.",
        "That loop happens when the SAML certificate expired. Could you upload the new one "
        "under Settings > Security? I'll stay on the thread.",
    ),
    (
        "Webhook retries",
        "How many times do you retry a failed webhook, and over how long?",
        "We retry 8 times with exponential backoff over about 24 hours. Each attempt is in "
        "the delivery log.",
    ),
    (
        "Add a teammate",
        "How do I invite a new colleague? The Invite button is greyed out for me.",
        "Only admins can invite. I've checked: your role is Member. Your admin (Dana) can "
        "change that, or invite them directly.",
    ),
    (
        "Data residency",
        "Is our data stored in the EU? Our legal team needs to know before we sign.",
        "Yes: workspaces created in the EU region keep all data in Frankfurt. I'll send our "
        "DPA for your legal team.",
    ),
    (
        "Bulk import failed",
        "I uploaded a CSV of 2,000 contacts and only 1,740 came through.",
        "The other 260 rows had an email we couldn't read. The import report lists each one "
        "with its reason; fix those rows and re-upload just them.",
    ),
    (
        "Feature request: dark mode",
        "Any plans for a dark theme? Our night shift would love it.",
        "It's on our roadmap for next quarter. I've added your vote and will let you know "
        "when it ships.",
    ),
]
NOTES = [
    "Big account, renewal next month. Loop in their account manager.",
    "Asked the same last week; consider a help article.",
    "Engineering ticket filed, linked in the tracker.",
    "Customer is frustrated, please answer quickly.",
]
