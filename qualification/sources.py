"""Where a write comes from (its source) and who is behind it (its actor).

Every write names one source. The source decides which write-policy flag of a data attribute
must allow it, how the sidebar and history name it, and whether its values are manual edits
(which may hold a value in "manual edits win" mode) or lenient (bad values dropped and
recorded instead of failing the whole request). All of that is in one table, `SOURCES`.
"""

import re
from dataclasses import dataclass
from typing import Any


class Source:
    QUALIFICATION = "qualification"
    ADMIN = "admin"
    MESSENGER = "messenger"
    MESSENGER_VERIFIED = "messenger_verified"
    REST_API = "rest_api"
    CSV_IMPORT = "csv_import"
    WORKFLOW = "workflow"
    APP_PREFIX = "app:"


@dataclass(frozen=True)
class SourceKind:
    label: str  # one value's origin: "Set by <label>"
    plural: str  # the history filter: "<plural>"
    policy_field: str  # the DataAttribute flag that must allow this source to write
    manual: bool = False  # a teammate typing: holds the value in "manual edits win" mode
    lenient: bool = False  # bad values are dropped and recorded, not refused


SOURCES: dict[str, SourceKind] = {
    Source.QUALIFICATION: SourceKind(
        "Teammate", "Teammates in conversations", "ui_writable", manual=True
    ),
    Source.ADMIN: SourceKind("Admin", "Admin", "ui_writable", manual=True),
    # The messenger runs in the customer's users' browsers: a value it may not write, or cannot
    # be parsed, is dropped and recorded instead of failing the whole page load.
    Source.MESSENGER: SourceKind("Messenger", "Messenger", "messenger_writable", lenient=True),
    Source.MESSENGER_VERIFIED: SourceKind(
        "Messenger (verified)", "Messenger (verified)", "messenger_writable", lenient=True
    ),
    Source.REST_API: SourceKind("REST API", "REST API", "api_writable"),
    Source.CSV_IMPORT: SourceKind("CSV import", "CSV imports", "import_writable"),
    Source.WORKFLOW: SourceKind("Workflow", "Workflows", "workflow_writable"),
}
APPS = SourceKind("App", "Apps", "apps_writable")
# app:<name>, the name as installed: lower case letters, digits, '-' and '_'.
_APP_SOURCE = re.compile(r"^app:[a-z0-9][a-z0-9_-]{0,40}$")

MANUAL_SOURCES = frozenset(s for s, kind in SOURCES.items() if kind.manual)
LENIENT_SOURCES = frozenset(s for s, kind in SOURCES.items() if kind.lenient)
# The history page's filter: every source, and every app as one.
HISTORY_SOURCE_CHOICES = [
    ("", "All sources"),
    *((source, kind.plural) for source, kind in SOURCES.items()),
    ("app", APPS.plural),
]


def source_kind(source: str) -> SourceKind:
    """What a source is; an unknown source is a programming error, refused at once."""
    if source in SOURCES:
        return SOURCES[source]
    if _APP_SOURCE.match(source):
        return APPS
    raise ValueError(
        f"Unknown source {source!r}: use one of {', '.join(sorted(SOURCES))} or app:<name>."
    )


def policy_field(source: str) -> str:
    return source_kind(source).policy_field


def source_label(source: str) -> str:
    if source.startswith(Source.APP_PREFIX):
        return source.removeprefix(Source.APP_PREFIX).replace("_", " ").title()
    kind = SOURCES.get(source)
    return kind.label if kind else source


@dataclass(frozen=True)
class Actor:
    """Who is behind a write: a teammate, an API token, an import job, a workflow, an app;
    for a teammate's edit also where they made it ("in conversation #96" and its page)."""

    kind: str
    id: str
    label: str
    where: str = ""
    where_url: str = ""

    @classmethod
    def teammate(cls, user: Any, *, where: str = "", where_url: str = "") -> "Actor":
        label = user.get_full_name() or user.get_username()
        return cls("teammate", str(user.pk), label, where[:100], where_url[:300])

    @classmethod
    def coerce(cls, actor: "Actor | Any") -> "Actor":
        if isinstance(actor, Actor):
            return actor
        if hasattr(actor, "get_username"):
            return cls.teammate(actor)
        raise TypeError(f"actor must be an Actor or a user, not {type(actor).__name__}")
